package deploy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Normalize returns copies of objs as Deploy applies them to namespace for release:
// namespaced objects without a namespace get it, cluster-scoped ones lose theirs, every
// object carries the release label, and no two objects share a key. Scopes come from
// mapper, or from CustomResourceDefinitions among objs for kinds the cluster does not
// serve yet. objs are not modified. Errors are *InputError: the input must change.
// Deploy and diff both use it, so they agree on what a release's objects are.
func Normalize(mapper meta.RESTMapper, objs []*unstructured.Unstructured, release, namespace string) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
	}
	crdKinds := kindsDefinedBy(out)
	scope := func(gvk schema.GroupVersionKind) (bool, error) {
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			if crd, ok := crdKinds[gvk.GroupKind()]; ok {
				return crd, nil // defined by a CRD in this release
			}
			if meta.IsNoMatchError(err) {
				return false, fmt.Errorf("%w: the cluster does not serve kind %q in %s; install its CRD or fix apiVersion",
					apply.ErrUnknownKind, gvk.Kind, gvk.GroupVersion())
			}
			return false, fmt.Errorf("cannot reach the cluster to look up kind %s: %w; check --kubeconfig, --context and that the API server is up", gvk.Kind, err)
		}
		return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
	if err := manifest.SetDefaultNamespace(out, namespace, scope); err != nil {
		return nil, &InputError{Err: err}
	}
	if err := manifest.SetReleaseLabel(out, release); err != nil {
		return nil, &InputError{Err: err}
	}
	if err := checkDuplicates(out); err != nil {
		return nil, err
	}
	return out, nil
}

// DryRunnable returns those of the normalized objs that a server-side dry run can check
// before the release creates their prerequisites: it leaves out objects of kinds defined
// by CRDs among objs and objects in namespaces that objs create (absent from existing,
// as returned by apply.Applier.Existing).
func DryRunnable(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta) []*unstructured.Unstructured {
	return dryRunnable(objs, kindsDefinedBy(objs), existing)
}
