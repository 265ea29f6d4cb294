package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gqlauth/internal/config"
)

// With -process the server runs as users run it: the gqlauth binary (built
// here, or -bin), a process of its own, with the floor also in a process of
// its own (this binary re-executed with floorEnv=1), so neither shares a Go
// runtime, scheduler or garbage collector with the load generator.

// floorEnv makes this binary serve the floor instead of benchmarking.
const floorEnv = "LOADBENCH_FLOOR"

// floorMain serves the floor for the configuration in the environment,
// prints "floor listening on URL" and runs until its stdin closes.
func floorMain() int {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench floor:", err)
		return 1
	}
	f, err := startFloor(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench floor:", err)
		return 1
	}
	defer f.close()
	fmt.Printf("floor listening on %s\n", f.base)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// buildServer builds the gqlauth binary into dir.
func buildServer(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("-process without -bin must run inside the gqlauth module")
	}
	bin := filepath.Join(dir, "gqlauth")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "gqlauth")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building gqlauth: %w\n%s", err, b)
	}
	return bin, nil
}

// child is a process started with the benchmark's environment that
// announces its URL on its first stdout line.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *headBuffer
	base   string
}

// startChild starts path args with env added to this process's
// environment and waits for a first stdout line "<prefix>URL".
func startChild(path string, args []string, env map[string]string, prefix string) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{cmd: cmd, stderr: &headBuffer{max: 8 << 10}}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br)
	}()
	select {
	case line := <-lines:
		base, ok := strings.CutPrefix(line, prefix)
		if !ok {
			c.stop()
			return nil, fmt.Errorf("%s: unexpected first line %q; stderr: %s", filepath.Base(path), line, c.stderr)
		}
		c.base = base
		return c, nil
	case <-time.After(60 * time.Second):
		c.stop()
		return nil, fmt.Errorf("%s did not start within 60s: %s", filepath.Base(path), c.stderr)
	}
}

// stop asks the child to end (SIGTERM, stdin closed) and reaps it.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// startProductProcess runs `gqlauth serve` from bin (built when empty).
func startProductProcess(ctx context.Context, bin string, env map[string]string, dbLabel string) (*product, error) {
	cfg, err := config.Load(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	})
	if err != nil {
		return nil, err
	}
	cleanup := func() {}
	if bin == "" {
		dir, err := os.MkdirTemp("", "loadbench-bin-*")
		if err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		if bin, err = buildServer(ctx, dir); err != nil {
			cleanup()
			return nil, err
		}
	}
	c, err := startChild(bin, []string{"serve"}, env, "gqlauth listening on ")
	if err != nil {
		cleanup()
		return nil, err
	}
	return &product{base: c.base, cfg: cfg, env: env, dbLabel: dbLabel, process: bin,
		stop: func() { c.stop(); cleanup() }}, nil
}

// startFloorProcess runs the floor in a process of its own.
func startFloorProcess(env map[string]string) (base string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	fenv := map[string]string{floorEnv: "1"}
	for k, v := range env {
		fenv[k] = v
	}
	c, err := startChild(self, nil, fenv, "floor listening on ")
	if err != nil {
		return "", nil, err
	}
	return c.base, c.stop, nil
}
