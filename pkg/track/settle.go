package track

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// listKey is one LIST of settleUnchanged: a resource in a namespace ("" for a
// cluster-scoped resource).
type listKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

// settleUnchanged judges the unchanged targets (RunOptions.Unchanged) once: one LIST per
// resource and namespace (by name when it holds one target), and, in their namespaces,
// one LIST of each related kind their health reads. Those Ready then, with nothing to
// re-check later, are settled: Ready for the run and never watched; their status is
// emitted. The others are left to the watches, which judge them like applied objects
// (verdict, evidence, graces). Events are not listed: they only keep a pod waiting for a
// node from failing, never make anything Ready, and a target not Ready here is watched
// with them. A LIST the API server forbids returns a *ForbiddenError; one that fails
// otherwise leaves its targets to the watches.
func (r *run) settleUnchanged(ctx context.Context) error {
	groups := map[listKey][]*target{}
	want := map[string]needs{}
	for _, tg := range r.targets {
		if !tg.unchanged || tg.static {
			continue
		}
		k := listKey{tg.gvr, tg.ref.Namespace}
		groups[k] = append(groups[k], tg)
		if k.namespace != "" {
			want[k.namespace] = want[k.namespace].or(needsOf(tg.ref.Group, tg.ref.Kind))
		}
	}
	if len(groups) == 0 {
		return nil
	}
	rels := map[string]health.Related{}
	for ns, n := range want {
		rel, err := r.listRelated(ctx, ns, n)
		if err != nil {
			if apierrors.IsForbidden(err.err) {
				return &ForbiddenError{Watch: err.what, Err: err.err}
			}
			r.cfg.Logger.Debug("list for unchanged objects; watching them instead", "list", err.what, "error", err.err)
			continue
		}
		rels[ns] = rel
	}
	now := r.cfg.Clock.Now()
	for k, tgs := range groups {
		rel, ok := rels[k.namespace]
		if !ok && k.namespace != "" {
			continue
		}
		live, err := r.listTargets(ctx, k, tgs)
		if apierrors.IsForbidden(err) {
			return &ForbiddenError{Watch: listName(k), Err: err}
		}
		if err != nil {
			r.cfg.Logger.Debug("list for unchanged objects; watching them instead", "list", listName(k), "error", err)
			continue
		}
		for _, tg := range tgs {
			obj := live[tg.ref.Name]
			if obj == nil {
				continue
			}
			st := tg.check(obj, rel, r.cfg.Health, now)
			if st.Phase != health.Ready || !st.RecheckAt.IsZero() {
				continue
			}
			tg.settled, tg.status, tg.reported, tg.readyAt = true, st, true, now
			r.emitAt(now, Event{Type: StatusChanged, Object: tg.ref, Status: st, Unchanged: true})
		}
	}
	return nil
}

// listTargets lists k's resource, by name when tgs is one target, and returns the
// objects by name.
func (r *run) listTargets(ctx context.Context, k listKey, tgs []*target) (map[string]*unstructured.Unstructured, error) {
	var opts metav1.ListOptions
	if len(tgs) == 1 {
		opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", tgs[0].ref.Name).String()
	}
	list, err := r.cfg.Dynamic.Resource(k.gvr).Namespace(k.namespace).List(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].GetName()] = &list.Items[i]
	}
	return out, nil
}

// listError is a failed LIST of listRelated, naming what was listed.
type listError struct {
	what string
	err  error
}

func (e *listError) Error() string { return fmt.Sprintf("list %s: %v", e.what, e.err) }
func (e *listError) Unwrap() error { return e.err }

// listRelated lists, once, the related kinds n names in ns.
func (r *run) listRelated(ctx context.Context, ns string, n needs) (health.Related, *listError) {
	var rel health.Related
	typed := r.cfg.Typed
	if n.pods {
		list, err := typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return rel, &listError{"pods in " + ns, err}
		}
		for i := range list.Items {
			rel.Pods = append(rel.Pods, &list.Items[i])
		}
	}
	if n.replicaSets {
		list, err := typed.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return rel, &listError{"replicasets in " + ns, err}
		}
		for i := range list.Items {
			rel.ReplicaSets = append(rel.ReplicaSets, &list.Items[i])
		}
	}
	if n.slices {
		list, err := typed.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return rel, &listError{"endpointslices in " + ns, err}
		}
		for i := range list.Items {
			rel.EndpointSlices = append(rel.EndpointSlices, &list.Items[i])
		}
	}
	if n.revisions {
		list, err := typed.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return rel, &listError{"controllerrevisions in " + ns, err}
		}
		for i := range list.Items {
			rel.ControllerRevisions = append(rel.ControllerRevisions, &list.Items[i])
		}
	}
	return rel, nil
}

// listName names the LIST of k in errors: "deployments.apps in prod".
func listName(k listKey) string {
	name := k.gvr.GroupResource().String()
	if k.namespace != "" {
		name += " in " + k.namespace
	}
	return name
}
