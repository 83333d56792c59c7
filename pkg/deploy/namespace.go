package deploy

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// The release namespace holds the release's lock and records, so it must exist before
// either. It is made in one of two ways when missing: the release holds a Namespace
// object of that name (it is applied first, on its own), or DeployOptions.CreateNamespace
// creates a plain Namespace that the release does not own, as `helm install
// --create-namespace` does. Neither is ever deleted by the release: uninstall and prune
// keep the release namespace (its records live there).

var namespaceKind = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}

// namespaceMissing reports whether s.Namespace does not exist yet. It is an InputError
// when nothing would create it. Without permission to read namespaces, it is taken to
// exist (the lock reports it otherwise).
func (d *Deploy) namespaceMissing(ctx context.Context, s *spec) (bool, error) {
	live, err := d.cfg.Cluster.Get(ctx, namespaceKind, "", s.Namespace)
	switch {
	case err != nil && apierrors.IsForbidden(err):
		return false, nil
	case err != nil:
		// Nothing has changed yet: a cluster that cannot be read is bad input (exit 2).
		return false, inputErrorf("read namespace %s: %v; check --kubeconfig and --context, and that the API server is reachable", s.Namespace, err)
	case live != nil:
		return false, nil
	case s.CreateNamespace || ownNamespace(s.Objects, s.Namespace) != nil:
		return true, nil
	}
	return false, inputErrorf("namespace %q does not exist; create it, pass --create-namespace, or add the Namespace to the release", s.Namespace)
}

// createNamespace makes the missing release namespace: by applying the release's own
// Namespace object among objs (normalized), or else a plain one without the release's
// label. It runs after validation and before the lock.
func (d *Deploy) createNamespace(ctx context.Context, objs []*unstructured.Unstructured, s *spec, ev *emitter) error {
	own := ownNamespace(objs, s.Namespace)
	msg := "the release namespace, before its lock and records"
	if own == nil {
		own = &unstructured.Unstructured{}
		own.SetGroupVersionKind(namespaceKind)
		own.SetName(s.Namespace)
		own.SetLabels(map[string]string{"name": s.Namespace})
		msg = "created (--create-namespace); uninstall keeps it"
	}
	if _, err := d.cfg.Cluster.Apply(ctx, []*unstructured.Unstructured{own}, apply.Options{Force: s.ForceConflicts}); err != nil {
		return fmt.Errorf("create namespace %s before the release's lock and records: %w", s.Namespace, err)
	}
	ev.emit(Event{Kind: Applied, Object: manifest.KeyOf(own).String(), Message: msg})
	return nil
}

// ownNamespace returns the Namespace object named namespace among objs, or nil.
func ownNamespace(objs []*unstructured.Unstructured, namespace string) *unstructured.Unstructured {
	for _, o := range objs {
		if isNamespace(o, namespace) {
			return o
		}
	}
	return nil
}

func isNamespace(o *unstructured.Unstructured, name string) bool {
	return o.GetKind() == "Namespace" && o.GroupVersionKind().Group == "" && o.GetName() == name
}

// withoutReleaseNamespace returns objs less the Namespace object of the release
// namespace, which no delete of the release may remove: its lock and records live in it.
// It reports the namespace as kept with a warning.
func withoutReleaseNamespace(objs []*unstructured.Unstructured, namespace string, ev *emitter) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if isNamespace(o, namespace) {
			ev.warn(fmt.Sprintf("kept Namespace %s: it holds the release's records; delete it by hand when they are no longer needed", namespace))
			continue
		}
		out = append(out, o)
	}
	return out
}

// notInMissingNamespace returns objs less those in the release namespace when it does not
// exist yet: a dry run cannot check them before it is created.
func (s *spec) notInMissingNamespace(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	if !s.namespaceMissing {
		return objs
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if o.GetNamespace() != s.Namespace {
			out = append(out, o)
		}
	}
	return out
}
