package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/dewconform/dewconform/openapi"
)

func specCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("spec", "spec [kms|csms] [--format yaml|json]", stdout)
	format := fs.String("format", "yaml", "yaml (the document as written) or json")
	// The service may come before or after the flags.
	service := "kms"
	if len(args) > 0 && (args[0] == "kms" || args[0] == "csms") {
		service, args = args[0], args[1:]
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	switch fs.NArg() {
	case 0:
	case 1:
		service = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "dewconform spec: want one service, kms or csms\n")
		return exitNotJudge
	}
	switch *format {
	case "yaml":
		data, err := openapi.Document(service)
		if err != nil {
			fmt.Fprintf(stderr, "dewconform spec: %v\n", err)
			return exitNotJudge
		}
		_, _ = stdout.Write(data)
	case "json":
		doc, err := openapi.Load(ctx, service)
		if err != nil {
			fmt.Fprintf(stderr, "dewconform spec: %v\n", err)
			return exitNotJudge
		}
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "dewconform spec: %v\n", err)
			return exitNotJudge
		}
		_, _ = stdout.Write(append(data, '\n'))
	default:
		fmt.Fprintf(stderr, "dewconform spec: format %q: want yaml or json\n", *format)
		return exitNotJudge
	}
	return exitOK
}
