package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// DropManagers removes the managedFields entries of the given field managers from each
// live object that shipsafe also manages, so that shipsafe becomes the only owner of the
// fields they shared. This is the ownership transfer a take-over needs: without it, the
// previous tool's manager (Helm's "helm") keeps co-owning every field, and the next change
// conflicts. Objects shipsafe does not manage yet are left alone.
func (a *Applier) DropManagers(ctx context.Context, objs []*unstructured.Unstructured, managers []string) error {
	for _, o := range objs {
		live, err := a.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if err != nil || live == nil {
			continue
		}
		entries := live.GetManagedFields()
		ours := slices.ContainsFunc(entries, func(e metav1.ManagedFieldsEntry) bool { return e.Manager == FieldManager })
		if !ours {
			continue
		}
		kept := slices.DeleteFunc(slices.Clone(entries), func(e metav1.ManagedFieldsEntry) bool {
			return slices.Contains(managers, e.Manager)
		})
		if len(kept) == len(entries) {
			continue
		}
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"managedFields":   kept,
			"resourceVersion": live.GetResourceVersion(), // fail rather than drop a concurrent change
		}})
		if err != nil {
			return fmt.Errorf("encode managedFields of %s: %w", manifest.KeyOf(o), err)
		}
		ri, err := a.resource(o.GroupVersionKind(), o.GetNamespace())
		if err != nil {
			return &Error{Key: manifest.KeyOf(o), Op: "take ownership of", Err: err}
		}
		if _, err := ri.Patch(ctx, o.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return &Error{Key: manifest.KeyOf(o), Op: "take ownership of", Err: err}
		}
	}
	return nil
}
