// Package buildinfo reads what the Go toolchain stamps into a binary (module version, VCS revision and
// commit time) so that the version the tool reports, the image labels and the reports all derive from the
// build itself, never from a hand-written string.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/module"
)

// Info is the version of one build.
type Info struct {
	// Version is the main module's version: a release tag (v1.2.3) for `go install …@v1.2.3` or a build
	// at a tagged commit, a pseudo-version (v0.0.0-20261130121314-abcdef123456) otherwise, with "+dirty"
	// when the work tree had changes; "devel" when the build recorded none (go run, go test).
	Version string
	// Revision is the full commit hash, "" when unknown.
	Revision string
	// Time is the commit's time (UTC), zero when unknown.
	Time time.Time
	// Modified says the work tree had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
	// Path is the main module's path.
	Path string
}

// Devel is the version of a build that recorded none.
const Devel = "devel"

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: Devel}
	}
	return From(bi)
}

// From derives an Info from build info. The VCS settings come from a build in a clone (go build); a
// module build (go install …@version) has none, so a pseudo-version's commit and time are read from
// the version itself.
func From(bi *debug.BuildInfo) Info {
	info := Info{Version: Devel, GoVersion: bi.GoVersion, Path: bi.Main.Path}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339Nano, s.Value); err == nil {
				info.Time = t.UTC()
			}
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	if info.Revision == "" && info.Version != Devel {
		v := strings.TrimSuffix(info.Version, "+dirty")
		if module.IsPseudoVersion(v) {
			if rev, err := module.PseudoVersionRev(v); err == nil {
				info.Revision = rev // the short (12-digit) hash: all a pseudo-version keeps
			}
			if t, err := module.PseudoVersionTime(v); err == nil {
				info.Time = t.UTC()
			}
		}
	}
	return info
}

// ShortRevision is the first 12 digits of the commit, "unknown" when there is none.
func (i Info) ShortRevision() string {
	switch {
	case i.Revision == "":
		return "unknown"
	case len(i.Revision) > 12:
		return i.Revision[:12]
	}
	return i.Revision
}

// CommitTime is the commit's time in RFC 3339, "unknown" when there is none.
func (i Info) CommitTime() string {
	if i.Time.IsZero() {
		return "unknown"
	}
	return i.Time.Format(time.RFC3339)
}

// String is the one-line form the reports carry: "v1.2.3 (commit 0123456789ab, 2026-11-30T12:13:14Z)".
func (i Info) String() string {
	s := fmt.Sprintf("%s (commit %s, %s", i.Version, i.ShortRevision(), i.CommitTime())
	if i.Modified && !strings.HasSuffix(i.Version, "+dirty") {
		s += ", modified"
	}
	return s + ")"
}
