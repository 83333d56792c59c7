package apply

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Existing returns the metadata of those objs that exist in the cluster, keyed by
// manifest.Key. It lists each kind once per namespace (metadata only) instead of getting
// objects one by one, so a release of a thousand ConfigMaps costs one request; the lists
// run in parallel (fanout.Each) and every failed one is reported. Kinds the
// cluster does not serve (yet: a CRD in the same release; or no more: a CRD deleted since
// discovery was read) have no existing objects; an
// object of a kind served in another version than its own is looked up in that one.
func (a *Applier) Existing(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*metav1.ObjectMeta, error) {
	type scope struct {
		gvr       schema.GroupVersionResource
		namespace string
	}
	want := map[scope]map[string]manifest.Key{} // by object name
	for _, o := range objs {
		m, err := a.mappingAnyVersion(o.GroupVersionKind())
		if errors.Is(err, ErrUnknownKind) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s := scope{gvr: m.Resource}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			s.namespace = o.GetNamespace()
		}
		if want[s] == nil {
			want[s] = map[string]manifest.Key{}
		}
		want[s][o.GetName()] = manifest.KeyOf(o)
	}
	scopes := slices.SortedFunc(maps.Keys(want), func(a, b scope) int {
		return cmp.Or(strings.Compare(a.gvr.String(), b.gvr.String()), strings.Compare(a.namespace, b.namespace))
	})
	var (
		mu  sync.Mutex
		out = map[manifest.Key]*metav1.ObjectMeta{}
	)
	err := fanout.Each(ctx, a.parallelism, scopes, func(ctx context.Context, _ int, s scope) error {
		list, err := a.metadata.Resource(s.gvr).Namespace(s.namespace).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			return nil // the kind is no longer served (its CRD was just deleted): none exist
		}
		if err != nil {
			return fmt.Errorf("list %s in %q: %w", s.gvr.Resource, s.namespace, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range list.Items {
			if k, ok := want[s][list.Items[i].Name]; ok {
				out[k] = &list.Items[i].ObjectMeta
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
