package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ibi "github.com/dewconform/dewconform/internal/buildinfo"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// buildBinary builds dewconform as make dist does (static, -trimpath), for this machine's architecture
// so that the test can run what it extracts from the image.
func buildBinary(t *testing.T, root, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=auto", "-o", out, "./cmd/dewconform")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
}

func runBin(t *testing.T, bin string, args ...string) (code int, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(b)
	}
	require.NoError(t, err)
	return 0, string(b)
}

// imageEnv names a docker tarball written by make image (its layout in oci/ beside it): make image-test
// sets it, so that the very artifact is checked instead of an image the test builds.
const imageEnv = "DEWCONFORM_IMAGE_TAR"

// TestImageRunsAndPassesAgainstItself is the end-to-end check: build the binary and its image
// (or take make image's), open the docker tarball and the layout, check the config, extract the binary
// from the layer, start it as the config says (but on a loopback port) and run the suite and the health
// check against it.
func TestImageRunsAndPassesAgainstItself(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image's linux binary runs only on linux")
	}
	root, dir := moduleRoot(t), t.TempDir()
	tarPath := os.Getenv(imageEnv)
	var built []byte
	if tarPath == "" {
		bin := filepath.Join(dir, "built")
		buildBinary(t, root, bin)
		var err error
		built, err = os.ReadFile(bin)
		require.NoError(t, err)
		img, meta, err := Build(built)
		require.NoError(t, err)
		tarPath = filepath.Join(dir, "dewconform.tar")
		require.NoError(t, WriteTarball(tarPath, img, "dewconform:"+meta.Tag()))
		require.NoError(t, WriteLayout(filepath.Join(dir, "oci"), img, meta.Tag()))
	}
	layoutPath := filepath.Join(filepath.Dir(tarPath), "oci")

	// Open what was written.
	loaded, err := tarball.ImageFromPath(tarPath, nil)
	require.NoError(t, err)
	cf, err := loaded.ConfigFile()
	require.NoError(t, err)
	c := cf.Config
	arch := cf.Architecture
	assert.Equal(t, "linux", cf.OS)
	assert.Equal(t, []string{"/dewconform"}, c.Entrypoint)
	assert.Equal(t, []string{"serve", "--addr", "0.0.0.0:8080", "--control"}, c.Cmd)
	assert.Equal(t, "65532:65532", c.User, "non-root")
	assert.Equal(t, map[string]struct{}{"8080/tcp": {}}, c.ExposedPorts)
	assert.Equal(t, "https://github.com/dewconform/dewconform", c.Labels["org.opencontainers.image.source"])
	assert.Equal(t, "Apache-2.0", c.Labels["org.opencontainers.image.licenses"])
	require.NotNil(t, c.Healthcheck)
	assert.Equal(t, []string{"CMD", "/dewconform", "health", "http://127.0.0.1:8080"}, c.Healthcheck.Test, "exec form: no shell")
	assert.Equal(t, 2*time.Second, c.Healthcheck.Interval)

	// Extract the layer's files.
	layers, err := loaded.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1, "one layer on an empty base")
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	extracted := filepath.Join(dir, "dewconform")
	var binBytes []byte
	var sawData bool
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch h.Name {
		case "dewconform":
			assert.Equal(t, int64(0o755), h.Mode)
			binBytes, err = io.ReadAll(tr)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(extracted, binBytes, os.FileMode(h.Mode)))
		case "data/":
			sawData = true
			assert.Equal(t, tar.TypeDir, rune(h.Typeflag))
			assert.Equal(t, []int{65532, 65532}, []int{h.Uid, h.Gid}, "the user owns its data directory")
		default:
			t.Errorf("unexpected file in the layer: %s", h.Name)
		}
	}
	assert.True(t, sawData, "data/ in the layer")
	require.NotNil(t, binBytes, "the binary is in the layer")
	if built != nil {
		assert.True(t, bytes.Equal(built, binBytes), "the layer holds the built binary")
	}

	// The image is exactly what Build makes of its binary (so the same binary gives the same image), and
	// the layout holds the same image.
	img, meta, err := Build(binBytes)
	require.NoError(t, err)
	assert.Equal(t, arch, meta.Arch)
	for _, f := range []func(v1.Image) (v1.Hash, error){v1.Image.ConfigName, func(i v1.Image) (v1.Hash, error) {
		ls, err := i.Layers()
		if err != nil {
			return v1.Hash{}, err
		}
		return ls[0].Digest()
	}} {
		want, err := f(img)
		require.NoError(t, err)
		got, err := f(loaded)
		require.NoError(t, err)
		assert.Equal(t, want, got, "the tarball is Build's image of its own binary")
	}
	want, err := img.Digest()
	require.NoError(t, err)
	idx, err := layout.ImageIndexFromPath(layoutPath)
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 1)
	assert.Equal(t, want, im.Manifests[0].Digest, "the layout holds the image")
	assert.Equal(t, &v1.Platform{OS: "linux", Architecture: arch, Variant: variant(arch)}, im.Manifests[0].Platform)
	if arch != runtime.GOARCH {
		t.Skipf("a linux/%s image does not run on this %s machine", arch, runtime.GOARCH)
	}

	// version reports exactly what the build stamped, and so do the labels.
	bi, err := buildinfo.ReadFile(extracted)
	require.NoError(t, err)
	info := ibi.From(bi)
	code, out := runBin(t, extracted, "version")
	require.Equal(t, 0, code, out)
	commit := info.Revision
	if commit == "" {
		commit = "unknown"
	}
	if info.Modified {
		commit += " (modified work tree)"
	}
	assert.True(t, strings.HasPrefix(out, "dewconform "+info.Version+"\ncommit "+commit+"\ncommit time "+info.CommitTime()+"\nspec kms "), out)
	if head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil && info.Revision != "" && built != nil {
		assert.Equal(t, strings.TrimSpace(string(head)), info.Revision, "the stamped commit is HEAD")
		assert.NotEqual(t, ibi.Devel, info.Version, "a build in a clone carries a version")
	}
	assert.Equal(t, info.Version, c.Labels["org.opencontainers.image.version"])
	assert.Equal(t, info.Revision, c.Labels["org.opencontainers.image.revision"])
	code, out = runBin(t, extracted, "licenses", "--check")
	require.Equal(t, 0, code, "every module in the binary has its notice: %s", out)

	// Start it as the config says, on a loopback port, in a directory of its own as WorkingDir says.
	args := append(append([]string{}, c.Entrypoint[1:]...), c.Cmd...)
	for i := range args {
		if i > 0 && args[i-1] == "--addr" {
			args[i] = "127.0.0.1:0"
		}
	}
	serve := exec.Command(extracted, args...)
	serve.Dir = t.TempDir()
	stdout, err := serve.StdoutPipe()
	require.NoError(t, err)
	serveErr, err := os.Create(filepath.Join(dir, "serve.log"))
	require.NoError(t, err)
	defer serveErr.Close()
	serve.Stderr = serveErr // a file: read only after the fact, never raced
	require.NoError(t, serve.Start())
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = serve.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		log, _ := os.ReadFile(serveErr.Name())
		t.Fatalf("serve printed no URL; stderr:\n%s", log)
	}
	url := lines.Text()
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	code, out = runBin(t, extracted, "health", url)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "ok: dewconform mock")
	code, out = runBin(t, extracted, "run", "--endpoint", url, "--format", "progress")
	assert.Equal(t, 0, code, "run --endpoint against the image's own mock passes:\n%s", out)
}

func TestInspectRefusesWhatCannotRunInAnEmptyImage(t *testing.T) {
	_, err := Inspect([]byte("not a binary"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no Go build info")

	self, err := os.Executable()
	require.NoError(t, err)
	b, err := os.ReadFile(self)
	require.NoError(t, err)
	bi, err := buildinfo.Read(bytes.NewReader(b))
	require.NoError(t, err)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	_, err = Inspect(b)
	switch {
	case settings["GOOS"] != "linux":
		require.ErrorContains(t, err, "needs a linux binary")
	case settings["CGO_ENABLED"] != "0":
		require.ErrorContains(t, err, "built with cgo")
	default:
		require.NoError(t, err) // this test binary itself is static: nothing to refuse
	}
}

func TestLayerIsFixedByTheBinary(t *testing.T) {
	when := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a, err := layerTar([]byte("bin"), when)
	require.NoError(t, err)
	b, err := layerTar([]byte("bin"), when)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	c, err := layerTar([]byte("other"), when)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
}

func variant(arch string) string {
	if arch == "arm64" {
		return "v8"
	}
	return ""
}
