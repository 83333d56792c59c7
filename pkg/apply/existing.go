package apply

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Existing returns the metadata of those objs that exist in the cluster, keyed by
// manifest.Key. It lists each kind once per namespace (metadata only) instead of getting
// objects one by one, so a release of a thousand ConfigMaps costs one request. Kinds the
// cluster does not serve yet (a CRD in the same release) have no existing objects.
func (a *Applier) Existing(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*metav1.ObjectMeta, error) {
	type scope struct {
		gvr       schema.GroupVersionResource
		namespace string
	}
	want := map[scope]map[string]manifest.Key{} // by object name
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("map kind %s: %w", gvk, err)
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
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = map[manifest.Key]*metav1.ObjectMeta{}
		errs []error
	)
	for s, keys := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := a.metadata.Resource(s.gvr).Namespace(s.namespace).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("list %s in %q: %w", s.gvr.Resource, s.namespace, err))
				return
			}
			for i := range list.Items {
				if k, ok := keys[list.Items[i].Name]; ok {
					out[k] = &list.Items[i].ObjectMeta
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return out, nil
}
