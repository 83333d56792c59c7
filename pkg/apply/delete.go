package apply

import (
	"context"
	"errors"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Delete deletes objs in reverse apply order (workloads before their config, namespaces
// and CRDs last), each rank in parallel, with background propagation so owned objects
// (ReplicaSets, Pods) follow. Objects already gone are not an error. It returns the
// objects it deleted and every error joined.
func (a *Applier) Delete(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	groups := manifest.Groups(objs)
	var (
		deleted []*unstructured.Unstructured
		errs    []error
	)
	for i := len(groups) - 1; i >= 0; i-- {
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			sem = make(chan struct{}, a.parallelism)
		)
		for _, obj := range groups[i] {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				gone, err := a.deleteOne(ctx, obj)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				} else if gone {
					deleted = append(deleted, obj)
				}
			}()
		}
		wg.Wait()
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
