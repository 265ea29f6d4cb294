//go:build race

package graph_test

// cpuAllowance scales CPU bounds: the race detector makes code 2–20× slower.
const cpuAllowance = 3
