package cluster

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestDistImageIsMultiArchNonRootAndReproducible builds the release image twice from
// two fake binaries: the archives are identical, the index has one linux image per
// architecture, each runs the binary as user 65532.
func TestDistImageIsMultiArchNonRootAndReproducible(t *testing.T) {
	t.Parallel()
	dist := t.TempDir()
	for _, a := range []string{"amd64", "arm64"} {
		if err := os.WriteFile(filepath.Join(dist, "shipsafe-linux-"+a), []byte("binary for "+a), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := DistImageSpec{Ref: "local.test/shipsafe:v1", Dist: dist, Arches: []string{"amd64", "arm64"}, Created: time.Unix(1700000000, 0)}
	out := t.TempDir()
	a, b := filepath.Join(out, "a.tar"), filepath.Join(out, "b.tar")
	for _, f := range []string{a, b} {
		if err := BuildDistImage(spec, f); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	if !bytes.Equal(x, y) {
		t.Error("two builds of the same image differ")
	}
	dir := t.TempDir()
	if err := untar(a, dir); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := top.IndexManifest()
	if len(tm.Manifests) != 1 || tm.Manifests[0].Annotations["io.containerd.image.name"] != "local.test/shipsafe:v1" {
		t.Fatalf("index.json: %+v", tm.Manifests)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 2 {
		t.Fatalf("image index has %d manifests, want 2", len(im.Manifests))
	}
	for i, want := range []string{"amd64", "arm64"} {
		d := im.Manifests[i]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != want {
			t.Errorf("manifest %d platform %+v, want linux/%s", i, d.Platform, want)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigFile()
		if cfg.Config.User != "65532:65532" || cfg.Config.Entrypoint[0] != "/usr/local/bin/shipsafe" || cfg.Architecture != want {
			t.Errorf("image %s config: %+v", want, cfg.Config)
		}
	}
}

// untar extracts a tar written by tarDir into dir.
func untar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
}
