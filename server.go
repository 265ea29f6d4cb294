// Command gqlauth is an authentication API: GraphQL, a REST shim and a
// Playground over one auth service. See README.md.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gqlauth/internal/app"
	"gqlauth/internal/password"
)

func main() {
	password.RunWorkerIfRequested()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
