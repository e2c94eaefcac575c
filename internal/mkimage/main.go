// Command mkimage writes dewconform's OCI image (internal/image) for a linux binary: an OCI image layout
// directory and a tarball for docker load. Run by make image; it needs no daemon and pulls nothing.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dewconform/dewconform/internal/image"
)

func main() {
	bin := flag.String("binary", "", "the static linux dewconform binary (make dist builds one)")
	out := flag.String("out", "out/image", "directory to write oci/ (the layout) and dewconform.tar into (both replaced)")
	repo := flag.String("repo", "dewconform", "repository name of the tarball's tag (the tag is the version)")
	flag.Parse()
	if err := mkimage(*bin, *out, *repo); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func mkimage(binPath, out, repo string) error {
	if binPath == "" {
		return fmt.Errorf("--binary is required")
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return err
	}
	img, meta, err := image.Build(bin)
	if err != nil {
		return fmt.Errorf("%s: %w", binPath, err)
	}
	// Replace, never merge: a layout accumulates images when written into again.
	if err := os.RemoveAll(filepath.Join(out, "oci")); err != nil {
		return err
	}
	if err := image.WriteLayout(filepath.Join(out, "oci"), img, meta.Tag()); err != nil {
		return err
	}
	ref := repo + ":" + meta.Tag()
	tarPath := filepath.Join(out, "dewconform.tar")
	if err := image.WriteTarball(tarPath, img, ref); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s linux/%s %s\n  layout  %s\n  tarball %s (docker load -i %s)\n",
		ref, meta.Arch, digest, filepath.Join(out, "oci"), tarPath, tarPath)
	return nil
}
