package apply

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// crdResource is the resource of CustomResourceDefinitions.
var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdPollInterval is how often a CRD and discovery are read while waiting for the CRD.
const crdPollInterval = 100 * time.Millisecond

// isCRD reports whether obj is a CustomResourceDefinition.
func isCRD(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "CustomResourceDefinition" && obj.GroupVersionKind().Group == crdResource.Group
}

// awaitCRDs waits, for each CRD among applied, until the API server serves its custom
// resources: the CRD is Established and the RESTMapper (discovery) maps its kind in each
// served version. A CRD that was still being deleted when it was applied (an uninstall
// moments ago) is waited out and created again (apply with opts). It returns applied with
// such CRDs replaced by the server's answer to the new apply. Waits end with ctx.
func (a *Applier) awaitCRDs(ctx context.Context, applied []*unstructured.Unstructured, opts Options) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(applied))
	copy(out, applied)
	var crds []int
	for i, o := range applied {
		if isCRD(o) {
			crds = append(crds, i)
		}
	}
	err := fanout.Each(ctx, a.parallelism, crds, func(ctx context.Context, _ int, i int) error {
		live, err := a.awaitEstablished(ctx, applied[i], opts)
		if err != nil {
			return &Error{Key: manifest.KeyOf(applied[i]), Op: "apply", Err: err}
		}
		out[i] = live
		return nil
	})
	if err != nil {
		return out, err
	}
	if r, ok := a.mapper.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
	for _, i := range crds {
		if err := a.awaitMapped(ctx, out[i]); err != nil {
			return out, &Error{Key: manifest.KeyOf(out[i]), Op: "apply", Err: err}
		}
	}
	return out, nil
}

// awaitEstablished waits until CRD crd is Established; a CRD being deleted is waited
// out and applied again. It returns the live CRD.
func (a *Applier) awaitEstablished(ctx context.Context, crd *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	ri := a.dynamic.Resource(crdResource)
	var live *unstructured.Unstructured
	err := wait.PollUntilContextCancel(ctx, crdPollInterval, true, func(ctx context.Context) (bool, error) {
		got, err := ri.Get(ctx, crd.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			// The CRD that was being deleted is gone: create it anew.
			if got, err = a.applyOne(ctx, crd, opts, nil); err != nil {
				return false, err
			}
		case err != nil:
			return false, nil // transient: read again until ctx ends
		case got.GetDeletionTimestamp() != nil:
			live = got
			return false, nil // being deleted (its custom resources first): wait
		}
		live = got
		if c, ok := crdCondition(got, "NamesAccepted"); ok && c["status"] == "False" {
			return false, fmt.Errorf("the API server did not accept its names: %v; rename the kind or plural, another CRD uses them", c["message"])
		}
		c, ok := crdCondition(got, "Established")
		return ok && c["status"] == "True", nil
	})
	if err != nil && ctx.Err() != nil {
		state := "is not Established yet"
		if live != nil && live.GetDeletionTimestamp() != nil {
			state = "is still being deleted (by an earlier uninstall or by hand); wait for it to be gone"
		}
		return nil, fmt.Errorf("waiting for the CRD, which %s: %w", state, context.Cause(ctx))
	}
	return live, err
}

// awaitMapped waits until the RESTMapper maps crd's kind in every version crd serves,
// resetting discovery's cache between tries: the API server publishes a new kind in
// discovery shortly after Established.
func (a *Applier) awaitMapped(ctx context.Context, crd *unstructured.Unstructured) error {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	gk := schema.GroupKind{Group: group, Kind: kind}
	var lastErr error
	err := wait.PollUntilContextCancel(ctx, crdPollInterval, true, func(context.Context) (bool, error) {
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			name, _ := vm["name"].(string)
			if served, _ := vm["served"].(bool); !served || name == "" {
				continue
			}
			if _, lastErr = a.mapper.RESTMapping(gk, name); lastErr != nil {
				if r, ok := a.mapper.(meta.ResettableRESTMapper); ok {
					r.Reset()
				}
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the API server to list kind %s in discovery (last: %v): %w",
			gk, lastErr, context.Cause(ctx))
	}
	return nil
}

// crdCondition returns the status condition of type typ of a live CRD.
func crdCondition(crd *unstructured.Unstructured, typ string) (map[string]any, bool) {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m, true
		}
	}
	return nil, false
}
