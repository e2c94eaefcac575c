package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommittedFileIsCurrent fails when a module was added to (or upgraded in) the binary without
// make generate: its notice would be missing from "dewconform licenses".
func TestCommittedFileIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list for six platforms")
	}
	ctx := context.Background()
	root, err := moduleRoot(ctx)
	require.NoError(t, err)
	mods, err := listModules(ctx, root)
	require.NoError(t, err)
	goroot, err := goEnv(ctx, root, "GOROOT")
	require.NoError(t, err)
	want, err := render(mods, goroot)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, "gen", "notices", "notices.txt"))
	require.NoError(t, err)
	if string(want) != string(got) {
		t.Fatal("gen/notices/notices.txt is stale: run make generate and commit it")
	}
	for _, m := range mods {
		if !m.Main {
			assert.Contains(t, string(got), "\n"+Header+m.Path+" "+m.Version+"\n")
		}
	}
}

func TestRenderRefusesAModuleWithoutNotice(t *testing.T) {
	goroot := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(goroot, "LICENSE"), []byte("Go licence\n"), 0o644))
	with, without := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(with, "LICENSE.md"), []byte("MIT\r\nthe text"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(with, "NOTICE"), []byte("a notice\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(with, "README.md"), []byte("not a licence\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(without, "README.md"), []byte("no licence here\n"), 0o644))

	out, err := render([]Module{{Path: "example.com/a", Version: "v1.0.0", Dir: with}}, goroot)
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, Header+"example.com/a v1.0.0\n\n---- LICENSE.md\n\nMIT\nthe text\n\n---- NOTICE\n\na notice\n")
	assert.NotContains(t, s, "not a licence")
	assert.True(t, strings.HasSuffix(s, Header+"go (the Go runtime and standard library)\n\n---- LICENSE\n\nGo licence\n"), s)

	_, err = render([]Module{{Path: "example.com/a", Version: "v1.0.0", Dir: with},
		{Path: "example.com/b", Version: "v2.0.0", Dir: without}}, goroot)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "example.com/b v2.0.0: no LICENSE")

	_, err = render(nil, without)
	require.Error(t, err, "a Go distribution without its LICENSE")
}
