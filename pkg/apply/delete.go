package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/metadata"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// DeleteOptions say whose objects Delete may delete and where it reports the objects it
// leaves in place.
type DeleteOptions struct {
	// Owner is the release the objects must belong to (manifest.Owner.Owns on the live
	// object). A record or a caller's list is never the authority to delete by itself.
	Owner manifest.Owner
	// OnLeft, when set, is called (from several goroutines) for each object Delete was
	// asked to delete and left in place: one that belongs to another owner now, one
	// deleted and re-created since it was read, or one kept by its resource policy
	// (which loses Owner's ownership instead). why is a sentence for people.
	OnLeft func(key manifest.Key, why string)
	// Keep names objects to keep although asked to delete, each with the reason (a
	// phrase for people): like an object marked with a keep policy, one of them that
	// still belongs to Owner is not deleted but loses Owner's ownership.
	Keep map[manifest.Key]string
}

// deleteAttempts bounds how often one delete re-reads an object that keeps changing.
const deleteAttempts = 5

// Delete deletes objs in reverse apply order (workloads before their config, namespaces
// and CRDs last), each rank in parallel, with background propagation so owned objects
// (ReplicaSets, Pods) follow. Every object is read first and deleted only if it still
// belongs to opts.Owner, with its UID and resourceVersion as preconditions, so an object
// that changed hands or was re-created meanwhile survives. An object that carries the
// annotation manifest.HelmResourcePolicyAnnotation or manifest.ResourcePolicyAnnotation
// set to keep, or named in opts.Keep, is not deleted but loses the owner's label and
// annotation. Objects already gone, also those of a kind the cluster no longer serves in
// any version, are not an error. An object recorded under a version the cluster no
// longer serves is deleted through the version it serves now (its preferred one), as
// kubectl and Helm do, also when that version was retired after discovery was read
// (remap); it is never taken for gone while it exists. A failure does not stop the other
// deletes (fanout.Each). It returns the objects it deleted and every error joined.
func (a *Applier) Delete(ctx context.Context, objs []*unstructured.Unstructured, opts DeleteOptions) ([]*unstructured.Unstructured, error) {
	groups := manifest.Groups(objs)
	var (
		deleted []*unstructured.Unstructured
		errs    []error
	)
	for i := len(groups) - 1; i >= 0; i-- {
		gone := make([]bool, len(groups[i]))
		err := fanout.Each(ctx, a.parallelism, groups[i], func(ctx context.Context, j int, obj *unstructured.Unstructured) error {
			var err error
			gone[j], err = a.deleteOne(ctx, obj, opts)
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

// deleteOne deletes one object if it is still opts.Owner's; it reports whether it did.
func (a *Applier) deleteOne(ctx context.Context, obj *unstructured.Unstructured, opts DeleteOptions) (bool, error) {
	key := manifest.KeyOf(obj)
	left := func(why string) (bool, error) {
		if opts.OnLeft != nil {
			opts.OnLeft(key, why)
		}
		return false, nil
	}
	m, err := a.mappingAnyVersion(obj.GroupVersionKind())
	if err != nil {
		if errors.Is(err, ErrUnknownKind) {
			return false, nil // no version of the kind is served: its CRD is gone, so is the object
		}
		return false, &Error{Key: key, Op: "delete", Err: err}
	}
	res := a.metadataResource(m, obj.GetNamespace())
	var (
		uid      types.UID
		remapped bool
	)
	for range deleteAttempts {
		live, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		switch {
		case notServed(err) && !remapped:
			// Discovery was read before the version was retired: read it again.
			remapped = true
			if m, err = a.remap(ctx, obj.GroupVersionKind(), m); errors.Is(err, ErrUnknownKind) {
				return false, nil // no version is served any more: the CRD is gone, so is the object
			} else if err != nil {
				return false, &Error{Key: key, Op: "delete", Err: err}
			}
			res = a.metadataResource(m, obj.GetNamespace())
			continue
		case notServed(err):
			return false, &Error{Key: key, Op: "delete", Err: fmt.Errorf("%w; %s", err, notServedHint)}
		case apierrors.IsNotFound(err):
			return false, nil
		case err != nil:
			return false, &Error{Key: key, Op: "delete", Err: err}
		case uid != "" && live.UID != uid:
			return left("deleted and re-created by someone else while shipsafe was deleting it; left in place")
		}
		uid = live.UID
		if !opts.Owner.Owns(live.Labels, live.Annotations) {
			return left(fmt.Sprintf("belongs to %s now, not %s: out of the release's scope, left in place and dropped from the release",
				manifest.DescribeOwner(live.Labels, live.Annotations), opts.Owner))
		}
		why, keep := opts.Keep[key]
		if ann, ok := manifest.Kept(live.Annotations); ok {
			why, keep = fmt.Sprintf("kept by its %s: %s annotation", ann, manifest.KeepPolicy), true
		}
		if keep {
			err := a.disown(ctx, res, live)
			if apierrors.IsConflict(err) {
				continue
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return false, &Error{Key: key, Op: "release ownership of", Err: err}
			}
			return left(fmt.Sprintf("%s: left in place, no longer part of %s", why, opts.Owner))
		}
		if a.beforeDelete != nil {
			a.beforeDelete(key)
		}
		policy := metav1.DeletePropagationBackground
		rv := live.ResourceVersion
		err = res.Delete(ctx, obj.GetName(), metav1.DeleteOptions{
			PropagationPolicy: &policy,
			Preconditions:     &metav1.Preconditions{UID: &uid, ResourceVersion: &rv},
		})
		switch {
		case notServed(err):
			continue // its version was retired since the read: read it again
		case apierrors.IsNotFound(err):
			return false, nil
		case apierrors.IsConflict(err):
			continue // changed since read: read it again
		case err != nil:
			return false, &Error{Key: key, Op: "delete", Err: err}
		}
		return true, nil
	}
	return false, &Error{Key: key, Op: "delete", Err: fmt.Errorf(
		"it changed %d times while shipsafe was deleting it; run the command again", deleteAttempts)}
}

// disown removes the release's label and namespace annotation from live, failing with
// a conflict when it changed since it was read.
func (a *Applier) disown(ctx context.Context, res metadata.ResourceInterface, live *metav1.PartialObjectMetadata) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": live.ResourceVersion,
		"labels":          map[string]any{manifest.ReleaseLabel: nil},
		"annotations":     map[string]any{manifest.ReleaseNamespaceAnnotation: nil},
	}})
	if err != nil {
		return err
	}
	_, err = res.Patch(ctx, live.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// notServedHint says what to do about an object whose version the API server does not
// serve although discovery lists it.
const notServedHint = "the object may still exist: delete it with kubectl through a version its CRD serves " +
	"(kubectl get crd shows them), then run the command again"

// notServed reports whether err is the API server's 404 for a resource it does not serve
// (a plain "404 page not found", not a Status naming the object): the object's version
// was retired since discovery was read. It is not "the object is gone".
func notServed(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) || st.Status().Details == nil {
		return false
	}
	for _, c := range st.Status().Details.Causes {
		if c.Type == metav1.CauseTypeUnexpectedServerResponse {
			return true
		}
	}
	return false
}

// discoveryLag bounds how long remap waits for discovery to drop a version the API
// server already refuses: the API server updates discovery shortly after a CRD changes,
// and its handlers may answer 404 for the version a moment before.
const discoveryLag = 10 * time.Second

// remap reads discovery again and maps gvk's kind anew (mappingAnyVersion), after the
// API server answered 404 for the resource of mapping was. While discovery still maps it
// to was it reads discovery again, for up to discoveryLag. It returns ErrUnknownKind when
// no version is served any more, and an error naming the resource when discovery still
// maps it to was after the wait.
func (a *Applier) remap(ctx context.Context, gvk schema.GroupVersionKind, was *meta.RESTMapping) (*meta.RESTMapping, error) {
	var m *meta.RESTMapping
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, discoveryLag, true, func(context.Context) (bool, error) {
		if r, ok := a.mapper.(meta.ResettableRESTMapper); ok {
			r.Reset()
		}
		var err error
		if m, err = a.mappingAnyVersion(gvk); err != nil {
			return false, err
		}
		return m.Resource != was.Resource, nil
	})
	switch {
	case err == nil:
		return m, nil
	case m != nil && m.Resource == was.Resource && ctx.Err() == nil:
		return nil, fmt.Errorf("the API server answers 404 for %s in %s, which discovery still lists as served after %s; %s",
			m.Resource.Resource, m.Resource.GroupVersion(), discoveryLag, notServedHint)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("read discovery again for kind %s: %w", gvk.GroupKind(), context.Cause(ctx))
	default:
		return nil, err
	}
}

// metadataResource returns the metadata client of mapping m in namespace (ignored for a
// cluster-scoped kind).
func (a *Applier) metadataResource(m *meta.RESTMapping, namespace string) metadata.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return a.metadata.Resource(m.Resource).Namespace(namespace)
	}
	return a.metadata.Resource(m.Resource)
}

// mappingAnyVersion maps gvk's kind, in its version when the cluster still serves it,
// else in the version the cluster prefers: an object recorded under a version since
// retired is the same object. It returns ErrUnknownKind when no version is served.
func (a *Applier) mappingAnyVersion(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		m, err = a.mapper.RESTMapping(gvk.GroupKind())
	}
	if meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("%w: the cluster serves kind %s in no version", ErrUnknownKind, gvk.GroupKind())
	}
	if err != nil {
		return nil, fmt.Errorf("map kind %s: %w", gvk, err)
	}
	return m, nil
}
