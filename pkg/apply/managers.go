package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"k8s.io/client-go/util/retry"
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
		// A controller may update the object (its status) between the read and the patch,
		// which the resourceVersion precondition refuses: read again and retry.
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { return a.dropManagers(ctx, o, managers) }); err != nil {
			return err
		}
	}
	return nil
}

// dropManagers is DropManagers for one object.
func (a *Applier) dropManagers(ctx context.Context, o *unstructured.Unstructured, managers []string) error {
	live, err := a.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
	if err != nil || live == nil {
		return nil
	}
	entries := live.GetManagedFields()
	ours := slices.ContainsFunc(entries, func(e metav1.ManagedFieldsEntry) bool { return e.Manager == FieldManager })
	if !ours {
		return nil
	}
	kept := slices.DeleteFunc(slices.Clone(entries), func(e metav1.ManagedFieldsEntry) bool {
		return slices.Contains(managers, e.Manager)
	})
	if len(kept) == len(entries) {
		return nil
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
	return nil
}
