package buildinfo

import (
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFrom(t *testing.T) {
	commit := time.Date(2026, 11, 30, 12, 13, 14, 0, time.UTC)
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want Info
		str  string
	}{
		{
			name: "go build in a clone at a tag",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "v1.2.3"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
					{Key: "vcs.time", Value: "2026-11-30T12:13:14Z"}, {Key: "vcs.modified", Value: "false"}}},
			want: Info{Version: "v1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567", Time: commit,
				GoVersion: "go1.26.8", Path: "m"},
			str: "v1.2.3 (commit 0123456789ab, 2026-11-30T12:13:14Z)",
		},
		{
			name: "go build with changes",
			bi: debug.BuildInfo{Main: debug.Module{Path: "m", Version: "v0.0.0-20261130121314-0123456789ab+dirty"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
					{Key: "vcs.time", Value: "2026-11-30T12:13:14Z"}, {Key: "vcs.modified", Value: "true"}}},
			want: Info{Version: "v0.0.0-20261130121314-0123456789ab+dirty", Revision: "0123456789abcdef0123456789abcdef01234567",
				Time: commit, Modified: true, Path: "m"},
			str: "v0.0.0-20261130121314-0123456789ab+dirty (commit 0123456789ab, 2026-11-30T12:13:14Z)",
		},
		{
			name: "go install of a pseudo-version: commit and time from the version",
			bi:   debug.BuildInfo{Main: debug.Module{Path: "m", Version: "v0.0.0-20261130121314-0123456789ab"}},
			want: Info{Version: "v0.0.0-20261130121314-0123456789ab", Revision: "0123456789ab", Time: commit, Path: "m"},
			str:  "v0.0.0-20261130121314-0123456789ab (commit 0123456789ab, 2026-11-30T12:13:14Z)",
		},
		{
			name: "go install of a release: no commit recorded",
			bi:   debug.BuildInfo{Main: debug.Module{Path: "m", Version: "v1.2.3"}},
			want: Info{Version: "v1.2.3", Path: "m"},
			str:  "v1.2.3 (commit unknown, unknown)",
		},
		{
			name: "go run: devel",
			bi:   debug.BuildInfo{Main: debug.Module{Path: "m", Version: "(devel)"}},
			want: Info{Version: Devel, Path: "m"},
			str:  "devel (commit unknown, unknown)",
		},
		{
			name: "modified without a dirty version says so",
			bi: debug.BuildInfo{Main: debug.Module{Path: "m"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"},
					{Key: "vcs.time", Value: "not a time"}}},
			want: Info{Version: Devel, Revision: "abc", Modified: true, Path: "m"},
			str:  "devel (commit abc, unknown, modified)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(&tt.bi)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.str, got.String())
		})
	}
}

func TestReadIsTheRunningBinary(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info in this test binary")
	}
	assert.Equal(t, From(bi), Read())
}
