package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FileSource loads objects from plain YAML and JSON files.
type FileSource struct {
	// Paths are files, directories, or "-" for Stdin, read in the order given. A
	// directory is walked recursively in lexical order and only its *.yaml, *.yml and
	// *.json files are read, skipping hidden files and directories (".git", ".github");
	// a file named explicitly is read whatever its extension.
	Paths []string
	// Stdin is read when Paths holds "-" (at most once). It is never os.Stdin implicitly.
	Stdin io.Reader
}

// Load reads every path and returns the objects in the order read. Problems with the
// content are collected over all files and returned together (each matches ErrInvalid),
// as are objects defined twice, with both places named. A missing file or unreadable
// directory stops loading at once. Loading nothing at all is an error too: deploying an
// empty set would prune every object of the release.
func (s FileSource) Load(ctx context.Context) ([]*unstructured.Unstructured, error) {
	if len(s.Paths) == 0 {
		return nil, fmt.Errorf("%w: no manifest paths given; name files or directories, or - for stdin", ErrInvalid)
	}
	var (
		all      []located
		errs     []error
		readDash bool
	)
	for _, p := range s.Paths {
		if p == "-" {
			if readDash {
				return nil, fmt.Errorf("%w: - (stdin) is given more than once", ErrInvalid)
			}
			readDash = true
			if s.Stdin == nil {
				return nil, fmt.Errorf("%w: - given but no stdin is available", ErrInvalid)
			}
			data, err := io.ReadAll(s.Stdin)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", StdinName, err)
			}
			l, e := decodeStream(StdinName, data)
			all, errs = append(all, l...), append(errs, e...)
			continue
		}
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("load manifests: %w", err)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read manifest %s: %w", f, err)
			}
			l, e := decodeStream(f, data)
			all, errs = append(all, l...), append(errs, e...)
		}
	}
	errs = append(errs, duplicates(all)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no objects found in %s; check the paths and that files end in .yaml, .yml or .json",
			ErrInvalid, strings.Join(s.Paths, ", "))
	}
	return objects(all), nil
}

// expand returns p itself when it is a file, or the manifest files under it in lexical
// order when it is a directory. It refuses directories that hold a Helm chart or a
// kustomization, whose files are templates or overlays rather than objects.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: manifest path %s does not exist; check the path", ErrInvalid, p)
		}
		return nil, fmt.Errorf("read manifest path %s: %w", p, err)
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read manifest directory %s: %w", path, err)
		}
		name := d.Name()
		if path != p && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch name {
		case "Chart.yaml":
			return fmt.Errorf("%w: %s is a Helm chart, not plain manifests; render it first (helm template ... | shipsafe ... -f -)",
				ErrInvalid, filepath.Dir(path))
		case "kustomization.yaml", "kustomization.yml", "Kustomization":
			return fmt.Errorf("%w: %s is a kustomization, not plain manifests; render it first (kubectl kustomize %s | shipsafe ... -f -)",
				ErrInvalid, filepath.Dir(path), filepath.Dir(path))
		}
		if d.IsDir() || !hasManifestExt(name) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("read manifest %s: %w", path, err)
			}
			if target.IsDir() {
				return nil // WalkDir does not follow links to directories; neither do we
			}
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// hasManifestExt reports whether a file in a directory is read as a manifest.
func hasManifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
