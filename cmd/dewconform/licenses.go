package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/dewconform/dewconform/gen/notices"
)

func licensesCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("licenses", "licenses [--check]", stdout)
	check := fs.Bool("check", false, "print nothing; exit 1 when a module built into this binary has no notice")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dewconform licenses: unexpected arguments %q\n", fs.Args())
		return exitNotJudge
	}
	if !*check {
		fmt.Fprint(stdout, notices.Text())
		return exitOK
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "dewconform licenses: this binary carries no build info")
		return exitNotJudge
	}
	missing := missingNotices(bi.Deps, notices.Modules())
	for _, m := range missing {
		fmt.Fprintf(stderr, "dewconform licenses: no notice for %s (run make generate)\n", m)
	}
	if len(missing) > 0 {
		return exitFail
	}
	fmt.Fprintf(stdout, "every one of the %d modules built into this binary has its notice\n", len(bi.Deps))
	return exitOK
}

// missingNotices lists the modules built into a binary (its build info's deps) that have no section in
// the embedded notices: the check that the binary's list and the generated file agree.
func missingNotices(deps []*debug.Module, have []string) []string {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var missing []string
	for _, d := range deps {
		if d.Replace != nil {
			d = d.Replace
		}
		if name := d.Path + " " + d.Version; !set[name] {
			missing = append(missing, name)
		}
	}
	return missing
}
