package kustomize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Source builds the kustomization in Dir.
type Source struct {
	// Dir is the directory holding kustomization.yaml (or .yml, or Kustomization).
	Dir string
}

// Load builds the kustomization and returns its objects in kustomize's output order. A
// missing directory, a directory without a kustomization file, a kustomization that does
// not build and rendered objects that are not valid all return errors matching
// manifest.ErrInvalid; so does a build that yields no objects, since deploying an empty
// set would prune the whole release. Cancelling ctx returns at once with ctx's error
// (kustomize itself cannot be interrupted; a build of remote bases is left to finish in
// the background).
func (s Source) Load(ctx context.Context) ([]*unstructured.Unstructured, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", s.Dir, err)
	}
	if err := checkDir(s.Dir); err != nil {
		return nil, err
	}
	type built struct {
		yaml []byte
		err  error
	}
	done := make(chan built, 1)
	go func() {
		y, err := build(s.Dir)
		done <- built{y, err}
	}()
	var b built
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("kustomize build %s: %w", s.Dir, ctx.Err())
	case b = <-done:
	}
	if b.err != nil {
		return nil, fmt.Errorf("%w: kustomize build %s: %w; fix the kustomization (try `kubectl kustomize %s`)",
			manifest.ErrInvalid, s.Dir, b.err, s.Dir)
	}
	objs, err := manifest.Decode("kustomize "+s.Dir, bytes.NewReader(b.yaml))
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%w: kustomization %s renders no objects; add resources to it", manifest.ErrInvalid, s.Dir)
	}
	return objs, nil
}

// build runs kustomize on dir and returns the rendered multi-document YAML.
func build(dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // sortOptions, else the legacy order, as kubectl does
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// checkDir reports, before kustomize's less direct messages, a directory that does not
// exist or holds no kustomization file.
func checkDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("%w: no kustomization directory given; pass -k DIR", manifest.ErrInvalid)
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: kustomization directory %s does not exist; check the path", manifest.ErrInvalid, dir)
	case err != nil:
		return fmt.Errorf("read kustomization directory %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("%w: %s is a file; -k takes the directory that holds kustomization.yaml", manifest.ErrInvalid, dir)
	}
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %s holds no kustomization.yaml; pass the directory of a base or overlay, or use -f for plain manifests",
		manifest.ErrInvalid, dir)
}
