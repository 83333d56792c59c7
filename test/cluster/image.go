package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ImageSpec describes a one-binary image built from a Go package.
type ImageSpec struct {
	Ref    string // e.g. local.test/naive:v1
	Module string // directory of the Go module that holds the package
	Pkg    string // package to build, relative to Module, e.g. ./naive
}

// BuildImage compiles spec.Pkg statically and writes an image tarball whose only file is
// the binary at /app, run as the entrypoint. It returns the tarball's path.
func BuildImage(ctx context.Context, l Layout, spec ImageSpec, log io.Writer) (string, error) {
	ref, err := name.NewTag(spec.Ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", spec.Ref, err)
	}
	if err := os.MkdirAll(l.ImageDir(), 0o755); err != nil {
		return "", fmt.Errorf("create image directory: %w", err)
	}
	bin := filepath.Join(l.ImageDir(), fmt.Sprintf("bin-%d", time.Now().UnixNano()))
	defer os.Remove(bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, spec.Pkg)
	cmd.Dir = spec.Module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s in %s: %w", spec.Pkg, spec.Module, err)
	}
	content, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("read binary: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarOf("app", content))), nil
	})
	if err != nil {
		return "", fmt.Errorf("make layer: %w", err)
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Config:       v1.Config{Entrypoint: []string{"/app"}, WorkingDir: "/"},
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return "", fmt.Errorf("set image config: %w", err)
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return "", fmt.Errorf("append layer: %w", err)
	}
	file := strings.ReplaceAll(ref.RepositoryStr(), "/", "_") + "_" + ref.TagStr() + ".tar"
	out := filepath.Join(l.ImageDir(), file)
	// Write beside and rename: test packages running in parallel may build one image.
	tmp := fmt.Sprintf("%s.%d.tmp", out, time.Now().UnixNano())
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("write image %s: %w", out, err)
	}
	return out, nil
}

// tarOf returns a tar archive with one executable file.
func tarOf(name string, content []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
	_, _ = tw.Write(content)
	_ = tw.Close()
	return buf.Bytes()
}

// ImportImage loads an image tarball into the cluster's containerd (namespace k8s.io).
func ImportImage(ctx context.Context, tarPath string, log io.Writer) error {
	if err := run(ctx, log, "ctr", "--address", ContainerdSock, "-n", "k8s.io", "images", "import", tarPath); err != nil {
		return fmt.Errorf("import image %s into containerd: %w", tarPath, err)
	}
	return nil
}
