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
// conflicts. Objects shipsafe does not manage yet are left alone. It returns the
// server's answers for the objects it changed (their new resourceVersion), in order.
func (a *Applier) DropManagers(ctx context.Context, objs []*unstructured.Unstructured, managers []string) ([]*unstructured.Unstructured, error) {
	var changed []*unstructured.Unstructured
	for _, o := range objs {
		// A controller may update the object (its status) between the read and the patch,
		// which the resourceVersion precondition refuses: read again and retry.
		var out *unstructured.Unstructured
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var err error
			out, err = a.dropManagers(ctx, o, managers)
			return err
		})
		if err != nil {
			return changed, err
		}
		if out != nil {
			changed = append(changed, out)
		}
	}
	return changed, nil
}

// dropManagers is DropManagers for one object; it returns the server's answer, or nil
// when it changed nothing.
func (a *Applier) dropManagers(ctx context.Context, o *unstructured.Unstructured, managers []string) (*unstructured.Unstructured, error) {
	live, err := a.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
	if err != nil || live == nil {
		return nil, nil
	}
	entries := live.GetManagedFields()
	ours := slices.ContainsFunc(entries, func(e metav1.ManagedFieldsEntry) bool { return e.Manager == FieldManager })
	if !ours {
		return nil, nil
	}
	kept := slices.DeleteFunc(slices.Clone(entries), func(e metav1.ManagedFieldsEntry) bool {
		return slices.Contains(managers, e.Manager)
	})
	if len(kept) == len(entries) {
		return nil, nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"managedFields":   kept,
		"resourceVersion": live.GetResourceVersion(), // fail rather than drop a concurrent change
	}})
	if err != nil {
		return nil, fmt.Errorf("encode managedFields of %s: %w", manifest.KeyOf(o), err)
	}
	ri, err := a.resource(o.GroupVersionKind(), o.GetNamespace())
	if err != nil {
		return nil, &Error{Key: manifest.KeyOf(o), Op: "take ownership of", Err: err}
	}
	out, err := ri.Patch(ctx, o.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return nil, &Error{Key: manifest.KeyOf(o), Op: "take ownership of", Err: err}
	}
	return out, nil
}
