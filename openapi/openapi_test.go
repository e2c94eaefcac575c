package openapi_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/gen/csms"
	"github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/openapi"
)

// Both documents must load and validate with kin-openapi, examples included.
func TestDocumentsValidate(t *testing.T) {
	for _, svc := range openapi.Services {
		t.Run(svc, func(t *testing.T) {
			doc, err := openapi.Load(context.Background(), svc)
			require.NoError(t, err)
			require.Equal(t, "3.0.3", doc.OpenAPI)
			require.NotEmpty(t, doc.Info.Version)
		})
	}
	_, err := openapi.Document("iam")
	require.Error(t, err)
}

// The spec embedded in gen/ is the document it was generated from; it must equal the one in openapi/.
func TestGeneratedSpecMatchesDocument(t *testing.T) {
	for svc, getSpec := range map[string]func() ([]byte, error){
		"kms":  func() ([]byte, error) { s, err := kms.GetSpec(); return mustJSON(t, s), err },
		"csms": func() ([]byte, error) { s, err := csms.GetSpec(); return mustJSON(t, s), err },
	} {
		t.Run(svc, func(t *testing.T) {
			embedded, err := getSpec()
			require.NoError(t, err)
			doc, err := openapi.Load(context.Background(), svc)
			require.NoError(t, err)
			require.JSONEq(t, string(mustJSON(t, doc)), string(embedded), "gen/%s is stale: run make generate", svc)
		})
	}
}

// gen/ must be exactly what the pinned generator produces from the current specs and configs.
func TestGeneratedCodeIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, svc := range openapi.Services {
		t.Run(svc, func(t *testing.T) {
			// The config's output path is relative to the working directory, so run the pinned binary
			// (go tool -n prints its path) in a scratch directory.
			bin, err := exec.Command("go", "tool", "-n", "oapi-codegen").Output()
			require.NoError(t, err)
			dir := t.TempDir()
			out := filepath.Join(dir, svc+".gen.go")
			cmd := exec.Command(strings.TrimSpace(string(bin)),
				"-config", filepath.Join(root, "gen", svc, "cfg.yaml"),
				filepath.Join(root, "openapi", svc+".yaml"))
			cmd.Dir = dir
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "oapi-codegen: %s", msg)
			want, err := os.ReadFile(out)
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(root, "gen", svc, svc+".gen.go"))
			require.NoError(t, err)
			require.True(t, bytes.Equal(want, got), "gen/%s/%s.gen.go is stale: run make generate and commit the result", svc, svc)
		})
	}
}

func mustJSON(t *testing.T, v interface{ MarshalJSON() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.MarshalJSON()
	require.NoError(t, err)
	return b
}
