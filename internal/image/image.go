// Package image builds dewconform's OCI image without a container daemon and without a base image: one
// layer holding the static binary, on an empty base, run by a non-root user. Everything in it (labels,
// creation time, platform) is read from the binary's own build info, so the same binary always gives
// the same image, byte for byte.
package image

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	ibi "github.com/dewconform/dewconform/internal/buildinfo"
)

// The image's fixed layout; the README documents each of these.
const (
	// BinaryPath is where the binary lives; it is the entrypoint.
	BinaryPath = "/dewconform"
	// DataDir is a directory owned by the user, for serve --state (the image has no /tmp).
	DataDir = "/data"
	// UID and GID are the non-root user's (the one distroless images call nonroot).
	UID, GID = 65532, 65532
	// Port is the port serve listens on, declared in the config.
	Port = "8080/tcp"
	// Licenses is the SPDX expression of dewconform's licence.
	Licenses = "Apache-2.0"
)

// Cmd is the default command: the mock with its control API, reachable from other containers.
var Cmd = []string{"serve", "--addr", "0.0.0.0:8080", "--control"}

// Meta is what the image says about the binary, read from its build info.
type Meta struct {
	Info ibi.Info
	Arch string
}

// Inspect reads a binary's build info and refuses one that cannot run in an empty image: not linux, or
// built with cgo (dynamically linked).
func Inspect(bin []byte) (Meta, error) {
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		return Meta{}, fmt.Errorf("the binary has no Go build info: %w", err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "linux" {
		return Meta{}, fmt.Errorf("the binary is for %q: the image needs a linux binary", settings["GOOS"])
	}
	if settings["CGO_ENABLED"] != "0" {
		return Meta{}, fmt.Errorf("the binary was built with cgo: build it with CGO_ENABLED=0 to run without a libc")
	}
	if settings["GOARCH"] == "" {
		return Meta{}, fmt.Errorf("the binary's build info names no GOARCH")
	}
	return Meta{Info: ibi.From(bi), Arch: settings["GOARCH"]}, nil
}

// Labels are the OCI annotations of the image config.
func (m Meta) Labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "dewconform",
		"org.opencontainers.image.description": "Contract tests and reference mock of the Huawei Cloud DEW APIs (KMS, CSMS)",
		"org.opencontainers.image.version":     m.Info.Version,
		"org.opencontainers.image.source":      "https://" + m.Info.Path,
		"org.opencontainers.image.licenses":    Licenses,
	}
	if m.Info.Revision != "" {
		l["org.opencontainers.image.revision"] = m.Info.Revision
	}
	if !m.Info.Time.IsZero() {
		l["org.opencontainers.image.created"] = m.Info.Time.Format(time.RFC3339)
	}
	return l
}

// Tag is a tag for the image's version ("+" is not allowed in a tag).
func (m Meta) Tag() string {
	return strings.ReplaceAll(m.Info.Version, "+", "-")
}

// created is the time stamped on the layer's files and the config: the commit's, never the build's.
func (m Meta) created() time.Time {
	if m.Info.Time.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return m.Info.Time
}

// Build returns the image of bin.
func Build(bin []byte) (v1.Image, Meta, error) {
	meta, err := Inspect(bin)
	if err != nil {
		return nil, meta, err
	}
	layerTar, err := layerTar(bin, meta.created())
	if err != nil {
		return nil, meta, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, meta, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
		Created:   v1.Time{Time: meta.created()},
		CreatedBy: "dewconform internal/image: the static binary " + BinaryPath + " and " + DataDir,
	}})
	if err != nil {
		return nil, meta, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, meta, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", meta.Arch
	if meta.Arch == "arm64" {
		cf.Variant = "v8"
	}
	cf.Created = v1.Time{Time: meta.created()}
	cf.Config = v1.Config{
		Entrypoint:   []string{BinaryPath},
		Cmd:          append([]string(nil), Cmd...),
		User:         fmt.Sprintf("%d:%d", UID, GID),
		WorkingDir:   DataDir,
		ExposedPorts: map[string]struct{}{Port: {}},
		Labels:       meta.Labels(),
		// Exec form: the image has no shell for the string form. Docker runs it, and CI runners that start
		// services (GitHub Actions) wait until it reports healthy.
		Healthcheck: &v1.HealthConfig{
			Test:     []string{"CMD", BinaryPath, "health", "http://127.0.0.1:8080"},
			Interval: 2 * time.Second, Timeout: 5 * time.Second, Retries: 15,
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, meta, err
	}
	return img, meta, nil
}

// layerTar is the one layer: the binary, and the user's data directory. Owners, modes and times are
// fixed so that the layer's digest depends on the binary alone.
func layerTar(bin []byte, mtime time.Time) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	hdrs := []struct {
		h    tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(DataDir, "/") + "/", Mode: 0o755, Uid: UID, Gid: GID}, nil},
		{tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(BinaryPath, "/"), Mode: 0o755, Size: int64(len(bin))}, bin},
	}
	for _, e := range hdrs {
		h := e.h
		h.ModTime, h.Format = mtime, tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteLayout writes img as an OCI image layout in dir (created; must not hold another layout), its
// index entry annotated with the tag and the platform.
func WriteLayout(dir string, img v1.Image, tag string) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}),
		layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}))
}

// WriteTarball writes img as a tarball that docker load (and podman load) accept, tagged repo:tag.
func WriteTarball(path string, img v1.Image, repoTag string) error {
	ref, err := name.NewTag(repoTag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", repoTag, err)
	}
	return tarball.WriteToFile(path, ref, img)
}
