package plan

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Normalize returns copies of objs as a deploy applies them to namespace for release:
// namespaced objects without a namespace get it, cluster-scoped ones lose theirs, every
// object carries the release's ownership (manifest.SetOwner: label and namespace
// annotation), and no two objects share a key. Scopes of kinds that
// CustomResourceDefinitions among objs define come from those CRDs, the others from
// mapper. objs are not modified. Errors are *InputError: the input must change.
func Normalize(mapper meta.RESTMapper, objs []*unstructured.Unstructured, release, namespace string) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(objs))
	fanout.Chunks(len(objs), 64, func(i int) { out[i] = objs[i].DeepCopy() })
	scope := func(gvk schema.GroupVersionKind) (bool, error) {
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			return false, fmt.Errorf("%w: the cluster does not serve kind %q in %s; install its CRD or fix apiVersion",
				apply.ErrUnknownKind, gvk.Kind, gvk.GroupVersion())
		}
		if err != nil {
			return false, fmt.Errorf("cannot reach the cluster to look up kind %s: %w; check --kubeconfig, --context and that the API server is up", gvk.Kind, err)
		}
		return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
	if err := manifest.SetDefaultNamespace(out, namespace, scope); err != nil {
		return nil, &InputError{Err: err}
	}
	if err := manifest.SetOwner(out, manifest.Owner{Namespace: namespace, Name: release}); err != nil {
		return nil, &InputError{Err: err}
	}
	return out, nil
}

// DryRunnable returns those of the normalized objs that a server-side dry run can check
// before the release creates their prerequisites: it leaves out objects of kinds defined
// by CRDs among objs and objects in namespaces that objs create (Namespaces absent from
// existing, as returned by apply.Applier.Existing).
func DryRunnable(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta) []*unstructured.Unstructured {
	crdKinds := manifest.DefinedScopes(objs)
	newNamespaces := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GroupVersionKind().Group == "" {
			if _, ok := existing[manifest.KeyOf(o)]; !ok {
				newNamespaces[o.GetName()] = true
			}
		}
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if _, ok := crdKinds[o.GroupVersionKind().GroupKind()]; ok {
			continue
		}
		if newNamespaces[o.GetNamespace()] {
			continue
		}
		out = append(out, o)
	}
	return out
}
