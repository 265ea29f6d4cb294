//go:build !race

package graph_test

// cpuAllowance scales CPU bounds; without the race detector it is 1.
const cpuAllowance = 1
