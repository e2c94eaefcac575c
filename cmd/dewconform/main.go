// Command dewconform is the contract-test harness of Huawei Cloud DEW (KMS and CSMS): "run" drives the
// embedded Gherkin suite against any endpoint (or the embedded mock), "serve" starts the reference mock,
// "spec" prints the embedded OpenAPI documents, "cleanup" removes what runs left behind.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down and cleans up; restoring the default handling lets a
		// second Ctrl-C end the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
