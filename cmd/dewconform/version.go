package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/internal/buildinfo"
)

// toolVersion is the version, commit and commit time the reports carry, read from the build info that
// go build (in a clone) or go install …@version stamps: never a hand-written string.
func toolVersion() string { return buildinfo.Read().String() }

func versionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version", stdout)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dewconform version: unexpected arguments %q\n", fs.Args())
		return exitNotJudge
	}
	var specs []string
	for _, svc := range []string{"kms", "csms"} {
		v, err := conformance.SpecVersion(ctx, svc)
		if err != nil {
			fmt.Fprintf(stderr, "dewconform version: %v\n", err)
			return exitNotJudge
		}
		specs = append(specs, svc+" "+v)
	}
	info := buildinfo.Read()
	commit := info.Revision
	if commit == "" {
		commit = "unknown"
	}
	if info.Modified {
		commit += " (modified work tree)"
	}
	fmt.Fprintf(stdout, "dewconform %s\ncommit %s\ncommit time %s\nspec %s\n%s %s/%s\n",
		info.Version, commit, info.CommitTime(), strings.Join(specs, ", "), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
