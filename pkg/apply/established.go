package apply

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// EstablishTimeout bounds the wait for an applied CustomResourceDefinition to be served.
const EstablishTimeout = time.Minute

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished waits until every CustomResourceDefinition among live has the
// condition Established (the API server serves its kind), polling each up to
// EstablishTimeout: resources of a kind applied before that fail as unknown.
func (a *Applier) waitEstablished(ctx context.Context, live []*unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, EstablishTimeout)
	defer cancel()
	for _, o := range live {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		cur := o
		for !established(cur) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("customresourcedefinition %s: not established (served) after %s: %w; see `kubectl get crd %s -o yaml` for its conditions",
					o.GetName(), EstablishTimeout, ctx.Err(), o.GetName())
			case <-time.After(100 * time.Millisecond):
			}
			var err error
			if cur, err = a.dynamic.Resource(crdResource).Get(ctx, o.GetName(), metav1.GetOptions{}); err != nil {
				return fmt.Errorf("customresourcedefinition %s: read its conditions: %w", o.GetName(), err)
			}
		}
	}
	return nil
}

// established says whether a live CustomResourceDefinition has Established=True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
