package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DistImageSpec describes shipsafe's release image: one image per Linux architecture,
// each holding only the static binary from `make dist`, under one OCI index.
type DistImageSpec struct {
	Ref     string            // e.g. ghcr.io/shipsafe/shipsafe:v1.2.0 or local.test/shipsafe:e2e
	Dist    string            // directory with shipsafe-linux-<arch> binaries
	Arches  []string          // e.g. amd64, arm64
	Created time.Time         // the commit's time, so two builds are identical
	Labels  map[string]string // OCI labels (version, revision)
}

// nonRoot is the user and group the image runs as.
const nonRoot = 65532

// BuildDistImage writes spec's multi-arch image as an OCI image archive (a tar of an
// OCI layout) at out. The image runs as user 65532 with the binary as entrypoint; the
// archive is byte-identical for identical inputs.
func BuildDistImage(spec DistImageSpec, out string) error {
	ref, err := name.ParseReference(spec.Ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", spec.Ref, err)
	}
	if len(spec.Arches) == 0 {
		return fmt.Errorf("no linux binaries in %s: run `make dist`", spec.Dist)
	}
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, arch := range spec.Arches {
		img, err := distImage(spec, arch)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	dir, err := os.MkdirTemp(filepath.Dir(out), ".oci-layout-")
	if err != nil {
		return fmt.Errorf("write image %s: %w", out, err)
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write OCI layout: %w", err)
	}
	err = p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          ref.Name(),
		"org.opencontainers.image.ref.name": ref.Identifier(),
	}))
	if err != nil {
		return fmt.Errorf("write OCI layout: %w", err)
	}
	return tarDir(dir, out)
}

// distImage is the image of one architecture.
func distImage(spec DistImageSpec, arch string) (v1.Image, error) {
	bin, err := os.ReadFile(filepath.Join(spec.Dist, "shipsafe-linux-"+arch))
	if err != nil {
		return nil, fmt.Errorf("binary for linux/%s (run `make dist`): %w", arch, err)
	}
	files := rootFS(bin)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(files)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: spec.Created.UTC()},
		Config: v1.Config{
			Entrypoint: []string{"/usr/local/bin/shipsafe"},
			User:       fmt.Sprintf("%d:%d", nonRoot, nonRoot),
			WorkingDir: "/home/nonroot",
			Env:        []string{"PATH=/usr/local/bin", "HOME=/home/nonroot"},
			Labels:     spec.Labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, fmt.Errorf("set image config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: spec.Created.UTC()}, CreatedBy: "make dist-image"}})
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	return img, nil
}

// rootFS is the image's only layer: the binary, a passwd file naming the non-root user,
// its home and a world-writable /tmp, all with a zero mtime.
func rootFS(bin []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, uid int) {
		_ = tw.WriteHeader(&tar.Header{Name: name + "/", Mode: mode, Typeflag: tar.TypeDir, Uid: uid, Gid: uid, ModTime: time.Unix(0, 0)})
	}
	file := func(name string, mode int64, content []byte) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(content)
	}
	dir("etc", 0o755, 0)
	file("etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonRoot, nonRoot)))
	file("etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonRoot)))
	dir("home", 0o755, 0)
	dir("home/nonroot", 0o700, nonRoot)
	dir("tmp", 0o1777, 0)
	dir("usr", 0o755, 0)
	dir("usr/local", 0o755, 0)
	dir("usr/local/bin", 0o755, 0)
	file("usr/local/bin/shipsafe", 0o755, bin)
	_ = tw.Close()
	return buf.Bytes()
}

// tarDir writes the files under dir into a tar at out, sorted, with zero mtimes.
func tarDir(dir, out string) error {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read OCI layout: %w", err)
	}
	sort.Strings(names)
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("write image %s: %w", out, err)
	}
	tw := tar.NewWriter(f)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			f.Close()
			return fmt.Errorf("read OCI layout: %w", err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			f.Close()
			return fmt.Errorf("write image %s: %w", out, err)
		}
		if _, err := tw.Write(b); err != nil {
			f.Close()
			return fmt.Errorf("write image %s: %w", out, err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write image %s: %w", out, err)
	}
	return f.Close()
}

// ImportDistImage loads an OCI image archive into the cluster's containerd under ref.
func ImportDistImage(ctx context.Context, archive, ref string, log io.Writer) error {
	if err := run(ctx, log, "ctr", "--address", ContainerdSock, "-n", "k8s.io", "images", "import", "--index-name", ref, archive); err != nil {
		return fmt.Errorf("import image %s into containerd: %w", archive, err)
	}
	return nil
}
