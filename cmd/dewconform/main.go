// Command dewconform is the contract-test harness of Huawei Cloud DEW (KMS and CSMS): "run" drives the
// embedded Gherkin suite against any endpoint (or the embedded mock), "serve" starts the reference mock,
// "spec" prints the embedded OpenAPI documents, "cleanup" removes what runs left behind.
package main

import (
	"os"
)

func main() {
	ctx, stop := interruptible()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
