package deploy

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// prepare copies the objects, defaults their namespace, labels them with the release,
// checks ownership against what exists, and validates them with a server-side dry-run
// apply. Any error is an InputError: nothing in the cluster has changed.
func (d *Deploy) prepare(ctx context.Context, opts *Options) ([]*unstructured.Unstructured, error) {
	if len(opts.Objects) == 0 {
		return nil, inputErrorf("release %q: no objects to deploy; pass manifests with -f FILE|DIR|-", opts.Release)
	}
	objs, err := Normalize(d.cfg.Clients.Mapper, opts.Objects, opts.Release, opts.Namespace)
	if err != nil {
		return nil, err
	}
	crdKinds := kindsDefinedBy(objs)
	existing, err := d.cfg.Applier.Existing(ctx, objs)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("read the cluster: %w; check the cluster is reachable and you may list these kinds", err)}
	}
	if err := checkOwnership(objs, existing, opts); err != nil {
		return nil, err
	}
	if _, err := d.cfg.Applier.Apply(ctx, dryRunnable(objs, crdKinds, existing), apply.Options{DryRun: true, Force: opts.ForceConflicts}); err != nil {
		return nil, &InputError{Err: fmt.Errorf("validation (server-side dry run) failed, nothing was changed:\n%w", err)}
	}
	if err := d.prepareHooks(ctx, opts); err != nil {
		return nil, err
	}
	return objs, nil
}

// checkOwnership refuses objects that exist and belong to another release, or to no
// shipsafe release at all, unless opts.Adopt.
func checkOwnership(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta, opts *Options) error {
	var errs []error
	for _, o := range objs {
		k := manifest.KeyOf(o)
		live, ok := existing[k]
		if !ok || opts.Adopt {
			continue
		}
		owner := live.Labels[manifest.ReleaseLabel]
		switch owner {
		case opts.Release:
		case "":
			errs = append(errs, fmt.Errorf("%s exists and is not managed by shipsafe; pass --adopt to take it over into release %q (and --force-conflicts if another tool keeps applying its fields), or rename it", k, opts.Release))
		default:
			errs = append(errs, fmt.Errorf("%s belongs to release %q; deploy it from that release, uninstall that release, or pass --adopt to move it into %q", k, owner, opts.Release))
		}
	}
	if len(errs) > 0 {
		return &InputError{Err: errors.Join(errs...)}
	}
	return nil
}

// kindsDefinedBy returns the kinds that CRDs among objs define, with whether each is
// namespaced.
func kindsDefinedBy(objs []*unstructured.Unstructured) map[schema.GroupKind]bool {
	out := map[schema.GroupKind]bool{}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		out[schema.GroupKind{Group: group, Kind: kind}] = scope == "Namespaced"
	}
	return out
}

// dryRunnable leaves out what the server cannot validate before the release creates its
// prerequisites: objects of kinds defined by CRDs in the release, and objects in
// namespaces that the release itself creates.
func dryRunnable(objs []*unstructured.Unstructured, crdKinds map[schema.GroupKind]bool, existing map[manifest.Key]*metav1.ObjectMeta) []*unstructured.Unstructured {
	newNamespaces := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GroupVersionKind().Group == "" {
			if _, ok := existing[manifest.KeyOf(o)]; !ok {
				newNamespaces[o.GetName()] = true
			}
		}
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if _, ok := crdKinds[o.GroupVersionKind().GroupKind()]; ok {
			continue
		}
		if newNamespaces[o.GetNamespace()] {
			continue
		}
		out = append(out, o)
	}
	return out
}

// checkDuplicates refuses two objects with one key once namespaces are defaulted (one
// with "namespace: prod" and one without, deployed with -n prod, are the same object).
func checkDuplicates(objs []*unstructured.Unstructured) error {
	seen := map[manifest.Key]bool{}
	var errs []error
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if seen[k] {
			errs = append(errs, fmt.Errorf("%s appears twice (after defaulting namespaces to -n); keep one", k))
		}
		seen[k] = true
	}
	if len(errs) > 0 {
		return &InputError{Err: errors.Join(errs...)}
	}
	return nil
}
