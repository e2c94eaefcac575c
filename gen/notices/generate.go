// Package notices embeds the licences and notices of dewconform and of every module built into it
// (notices.txt, written by internal/noticegen). Do not edit notices.txt; run make generate.
package notices

import (
	_ "embed"
	"strings"
)

//go:generate go run ../../internal/noticegen notices.txt

//go:embed notices.txt
var text string

// header starts each section of notices.txt (internal/noticegen.Header).
const header = "==== module "

// Text is the whole file, as "dewconform licenses" prints it.
func Text() string { return text }

// Modules lists the sections: "path version" for each module, "path (this program)" for dewconform
// itself and "go (…)" for the Go distribution.
func Modules() []string {
	var mods []string
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, header); ok {
			mods = append(mods, name)
		}
	}
	return mods
}
