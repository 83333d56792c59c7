package apply

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Delete deletes objs in reverse apply order (workloads before their config, namespaces
// and CRDs last), each rank in parallel, with background propagation so owned objects
// (ReplicaSets, Pods) follow. Objects already gone are not an error. A failure does not
// stop the other deletes (fanout.Each). It returns the objects it deleted and every error
// joined.
func (a *Applier) Delete(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	groups := manifest.Groups(objs)
	var (
		deleted []*unstructured.Unstructured
		errs    []error
	)
	for i := len(groups) - 1; i >= 0; i-- {
		gone := make([]bool, len(groups[i]))
		err := fanout.Each(ctx, a.parallelism, groups[i], func(ctx context.Context, j int, obj *unstructured.Unstructured) error {
			var err error
			gone[j], err = a.deleteOne(ctx, obj)
			return err
		})
		for j, obj := range groups[i] {
			if gone[j] {
				deleted = append(deleted, obj)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return deleted, errors.Join(errs...)
}

// deleteOne deletes one object; it reports whether the object existed.
func (a *Applier) deleteOne(ctx context.Context, obj *unstructured.Unstructured) (bool, error) {
	key := manifest.KeyOf(obj)
	ri, err := a.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		if errors.Is(err, ErrUnknownKind) {
			return false, nil // its CRD is gone, so is the object
		}
		return false, &Error{Key: key, Op: "delete", Err: err}
	}
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, &Error{Key: key, Op: "delete", Err: err}
	}
	return true, nil
}
