package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// PriorOf returns what Restore needs to put live back as it is now: a copy of live
// without its status and the metadata the API server sets (creation time, generation,
// deletion marks), keeping its uid and resourceVersion (to tell, later, whether it is
// still the same object and whether it changed at all) and its managedFields (so that
// putting it back restores who owns which field, too).
func PriorOf(live *unstructured.Unstructured) *unstructured.Unstructured {
	c := live.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "status")
	for _, f := range []string{"creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	return c
}

// RestoreOptions say which objects Restore may put back and where it reports those it
// leaves as they are.
type RestoreOptions struct {
	// Changed reports why live, the object now, must not be put back (someone else
	// changed it since the deploy that adopted it applied it, or it belongs to another
	// owner now), or "" when it may be. It is required, and called from several
	// goroutines.
	Changed func(live *unstructured.Unstructured) string
	// OnLeft, when set, is called (from several goroutines) for each object Restore left
	// as it is: gone, re-created, or Changed. why is a sentence for people.
	OnLeft func(key manifest.Key, why string)
}

// restoreAttempts bounds how often one restore re-reads an object that keeps changing
// (a Deployment's controller writes its status while it rolls).
const restoreAttempts = 5

// Restore puts each of priors (objects as PriorOf read them before a deploy adopted
// them) back as it was: its spec and data, labels, annotations and other metadata, and
// its managedFields, with an update whose resourceVersion precondition refuses to
// overwrite a change made after the object was read and checked. An object that is gone,
// was re-created (another uid), or that opts.Changed refuses is left as it is and
// reported to opts.OnLeft; one that never changed since its prior state (same
// resourceVersion) needs nothing. Objects go back in apply order (config before
// workloads), each group in parallel; a failure does not stop the others. It returns
// the objects it put back and every error joined.
func (a *Applier) Restore(ctx context.Context, priors []*unstructured.Unstructured, opts RestoreOptions) ([]*unstructured.Unstructured, error) {
	var (
		restored []*unstructured.Unstructured
		errs     []error
	)
	for _, group := range manifest.Groups(priors) {
		done := make([]bool, len(group))
		err := fanout.Each(ctx, a.parallelism, group, func(ctx context.Context, i int, prior *unstructured.Unstructured) error {
			var err error
			done[i], err = a.restoreOne(ctx, prior, opts)
			return err
		})
		for i, o := range group {
			if done[i] {
				restored = append(restored, o)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return restored, errors.Join(errs...)
}

// restoreOne puts prior back; it reports whether it wrote it.
func (a *Applier) restoreOne(ctx context.Context, prior *unstructured.Unstructured, opts RestoreOptions) (bool, error) {
	key := manifest.KeyOf(prior)
	left := func(why string) (bool, error) {
		if opts.OnLeft != nil {
			opts.OnLeft(key, why)
		}
		return false, nil
	}
	ri, err := a.resource(prior.GroupVersionKind(), prior.GetNamespace())
	if err != nil {
		return false, &Error{Key: key, Op: "put back", Err: err}
	}
	for range restoreAttempts {
		live, err := ri.Get(ctx, prior.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return left("deleted by someone else since it was adopted; not re-created")
		case err != nil:
			return false, &Error{Key: key, Op: "put back", Err: err}
		case live.GetUID() != prior.GetUID():
			return left("deleted and re-created by someone else since it was adopted; left as it is")
		case live.GetResourceVersion() == prior.GetResourceVersion():
			return false, nil // never changed: nothing to put back
		}
		if why := opts.Changed(live); why != "" {
			return left(why)
		}
		out, err := ri.Update(ctx, restoreBody(prior, live), metav1.UpdateOptions{FieldManager: FieldManager})
		switch {
		case apierrors.IsNotFound(err):
			return left("deleted by someone else since it was adopted; not re-created")
		case apierrors.IsConflict(err):
			continue // changed since read: read and check it again
		case err != nil:
			return false, &Error{Key: key, Op: "put back", Err: err}
		}
		if err := restoreManagers(ctx, ri, prior, out); err != nil {
			return true, &Error{Key: key, Op: "put back the field managers of", Err: err}
		}
		return true, nil
	}
	return false, &Error{Key: key, Op: "put back", Err: fmt.Errorf(
		"it changed %d times while shipsafe was putting it back; put it back by hand", restoreAttempts)}
}

// restoreBody is the update that puts prior back over live: prior's content at live's
// resourceVersion, with live's status (an update of the main resource does not change
// a status it serves as a subresource; for other kinds the status stays as it is).
func restoreBody(prior, live *unstructured.Unstructured) *unstructured.Unstructured {
	body := prior.DeepCopy()
	body.SetResourceVersion(live.GetResourceVersion())
	body.SetUID(live.GetUID())
	if status, ok := live.Object["status"]; ok {
		body.Object["status"] = runtime.DeepCopyJSONValue(status)
	}
	return body
}

// restoreManagers sets the managedFields of out (the answer to the update that put prior
// back) to prior's: the update made shipsafe the manager of every field it changed back,
// which the object did not have. The patch changes nothing else, so the API server keeps
// the entries as sent; a conflict (a controller wrote the status meanwhile) is retried
// on the object read again.
func restoreManagers(ctx context.Context, ri dynamic.ResourceInterface, prior, out *unstructured.Unstructured) error {
	want := prior.GetManagedFields()
	for range restoreAttempts {
		if apiequality.Semantic.DeepEqual(out.GetManagedFields(), want) {
			return nil
		}
		entries := any(want)
		if len(want) == 0 {
			entries = []map[string]any{{}} // the API server's way to clear managedFields
		}
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"managedFields":   entries,
			"resourceVersion": out.GetResourceVersion(),
		}})
		if err != nil {
			return fmt.Errorf("encode managedFields: %w", err)
		}
		_, err = ri.Patch(ctx, prior.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
		if !apierrors.IsConflict(err) {
			return err
		}
		if out, err = ri.Get(ctx, prior.GetName(), metav1.GetOptions{}); err != nil {
			return err
		}
		if out.GetUID() != prior.GetUID() {
			return nil // re-created meanwhile: not ours to touch
		}
	}
	return fmt.Errorf("it changed %d times meanwhile", restoreAttempts)
}
