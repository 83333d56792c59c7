package track

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// target is one tracked object and what the run knows of it.
type target struct {
	ref      ObjectRef
	gvr      schema.GroupVersionResource
	static   bool                      // a kind with no status: Ready once applied, not watched
	informer cache.SharedIndexInformer // watches this one object by name; nil when static or settled
	status   health.Status             // the last verdict
	reported bool                      // status was emitted at least once
	readyAt  time.Time                 // when it last became Ready; zero while not Ready
	warnings []string                  // Warning events emitted about it, as evidence
	// unchanged: the caller did not change it (RunOptions.Unchanged). settled: it was
	// Ready when the run started (settleUnchanged), so it is not watched.
	unchanged, settled bool
	// minGeneration is the generation the caller applied (0 when unknown). A cached copy
	// older than that is stale: an informer's first LIST may be served from the API
	// server's watch cache, behind the apply, and would show the previous spec as Ready.
	minGeneration int64
}

// resolve maps each object to its resource and marks those named in unchanged;
// duplicates (same ref) are tracked once.
func (r *run) resolve(objs []*unstructured.Unstructured, unchanged map[ObjectRef]bool) ([]*target, error) {
	var out []*target
	dup := map[ObjectRef]bool{}
	for _, obj := range objs {
		ref := RefOf(obj)
		if dup[ref] {
			continue
		}
		dup[ref] = true
		same := unchanged[ref]
		mapping, err := r.mapping(obj.GroupVersionKind())
		if err != nil {
			return nil, fmt.Errorf("track %s: %w", ref, err)
		}
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace && ref.Namespace == "" {
			return nil, fmt.Errorf("track %s: namespaced object has no namespace; set it before tracking", ref)
		}
		if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
			ref.Namespace = ""
		}
		out = append(out, &target{
			ref: ref, gvr: mapping.Resource, static: isStatic(ref.Group, ref.Kind), unchanged: same,
			minGeneration: obj.GetGeneration(),
		})
	}
	return out, nil
}

// mapping finds the resource of gvk, resetting a resettable mapper once when the kind is
// unknown (its CRD may have been created moments ago).
func (r *run) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := r.cfg.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err == nil {
		return m, nil
	}
	resettable, ok := r.cfg.Mapper.(meta.ResettableRESTMapper)
	if !ok || !meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("map kind %s: %w", gvk, err)
	}
	resettable.Reset()
	m, err = r.cfg.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("map kind %s: %w", gvk, err)
	}
	return m, nil
}

// isStatic reports kinds that have no status and nothing to wait for: they are Ready once
// applied, so they are not watched at all.
func isStatic(group, kind string) bool {
	switch group {
	case "":
		switch kind {
		case "ConfigMap", "Secret", "ServiceAccount", "LimitRange", "PodTemplate":
			return true
		}
	case "rbac.authorization.k8s.io":
		return true
	case "networking.k8s.io":
		return kind == "NetworkPolicy" || kind == "IngressClass"
	case "scheduling.k8s.io":
		return kind == "PriorityClass"
	}
	return false
}

// current returns the object as last seen by its watch, or nil when it is not (or no
// longer) in the cluster.
func (tg *target) current() *unstructured.Unstructured {
	if tg.informer == nil {
		return nil
	}
	key := tg.ref.Name
	if tg.ref.Namespace != "" {
		key = tg.ref.Namespace + "/" + tg.ref.Name
	}
	item, ok, err := tg.informer.GetStore().GetByKey(key)
	if err != nil || !ok {
		return nil
	}
	u, _ := item.(*unstructured.Unstructured)
	return u
}

// check judges the target at now.
func (tg *target) check(obj *unstructured.Unstructured, rel health.Related, opts health.Options, now time.Time) health.Status {
	switch {
	case tg.static && tg.unchanged:
		return health.Status{Phase: health.Ready, Message: "unchanged; nothing to wait for"}
	case tg.static:
		return health.Status{Phase: health.Ready, Message: "applied; nothing to wait for"}
	case obj == nil:
		return health.Status{Phase: health.Progressing, Reason: "NotFound", Message: "waiting for the object to appear in the cluster"}
	case obj.GetGeneration() < tg.minGeneration:
		return health.Status{Phase: health.Progressing, Reason: "NotObserved", Message: fmt.Sprintf(
			"waiting for the watch to deliver generation %d (it has %d)", tg.minGeneration, obj.GetGeneration())}
	default:
		return health.Check(obj, rel, opts, now)
	}
}
