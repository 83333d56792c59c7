package track

import (
	"context"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// nsWatch holds the listers of one namespace's related objects; a lister is nil when no
// tracked object there needs that kind.
type nsWatch struct {
	pods        corelisters.PodNamespaceLister
	replicaSets appslisters.ReplicaSetNamespaceLister
	slices      discoverylisters.EndpointSliceNamespaceLister
	revisions   appslisters.ControllerRevisionNamespaceLister
	events      corelisters.EventNamespaceLister
}

// needs says which related kinds a namespace's tracked objects need watched.
type needs struct {
	pods, replicaSets, slices, revisions bool
}

func (n needs) or(o needs) needs {
	return needs{
		pods:        n.pods || o.pods,
		replicaSets: n.replicaSets || o.replicaSets,
		slices:      n.slices || o.slices,
		revisions:   n.revisions || o.revisions,
	}
}

func needsOf(group, kind string) needs {
	switch group + "/" + kind {
	case "apps/Deployment":
		return needs{pods: true, replicaSets: true}
	case "apps/ReplicaSet", "apps/StatefulSet", "batch/Job":
		return needs{pods: true}
	case "apps/DaemonSet":
		return needs{pods: true, revisions: true}
	case "/Service":
		return needs{pods: true, slices: true}
	}
	return needs{}
}

// Watches returns what tracking an object of kind group/kind lists and watches: nil for
// a kind with nothing to wait for (Ready once applied, never watched); otherwise the
// object's own resource (by name) and, for a namespaced object, these resources of its
// namespace: Events, and the related kinds its health check reads (Pods, ReplicaSets,
// EndpointSlices, ControllerRevisions). When Pods are among them, a failure's evidence
// also reads container logs (pods/log). pkg/access derives the deploy's permissions from
// it, so it must name every watch startWatches opens.
func Watches(group, kind string, namespaced bool) (self bool, related []schema.GroupResource) {
	if isStatic(group, kind) {
		return false, nil
	}
	if !namespaced {
		return true, nil
	}
	n := needsOf(group, kind)
	related = append(related, schema.GroupResource{Resource: "events"})
	if n.pods {
		related = append(related, schema.GroupResource{Resource: "pods"})
	}
	if n.replicaSets {
		related = append(related, schema.GroupResource{Group: "apps", Resource: "replicasets"})
	}
	if n.slices {
		related = append(related, schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"})
	}
	if n.revisions {
		related = append(related, schema.GroupResource{Group: "apps", Resource: "controllerrevisions"})
	}
	return true, related
}

// startWatches starts one informer per tracked object that is neither static nor settled
// (a watch on its name) and one informer factory per namespace of those for the related
// kinds and Events; with none, it starts nothing. Informers list, then
// watch; client-go's reflector resumes a closed watch from the last resource version and
// relists when that is too old, so an API server restart only delays verdicts. It returns
// the factories, for Shutdown once ctx is cancelled.
func (r *run) startWatches(ctx context.Context, wg *sync.WaitGroup) []informers.SharedInformerFactory {
	var synced []cache.InformerSynced
	want := map[string]needs{}
	for _, tg := range r.targets {
		if tg.static || tg.settled {
			continue
		}
		name := tg.ref.Name
		inf := dynamicinformer.NewFilteredDynamicInformer(r.cfg.Dynamic, tg.gvr, tg.ref.Namespace, r.cfg.Resync, cache.Indexers{},
			func(o *metav1.ListOptions) {
				o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
			}).Informer()
		r.prepare(inf, tg.ref.String())
		tg.informer = inf
		synced = append(synced, inf.HasSynced)
		wg.Add(1)
		go func() {
			defer wg.Done()
			inf.RunWithContext(ctx)
		}()
		if ns := tg.ref.Namespace; ns != "" {
			want[ns] = want[ns].or(needsOf(tg.ref.Group, tg.ref.Kind))
		}
	}
	var factories []informers.SharedInformerFactory
	for ns, n := range want {
		f := informers.NewSharedInformerFactoryWithOptions(r.cfg.Typed, r.cfg.Resync,
			informers.WithNamespace(ns), informers.WithTransform(stripManagedFields))
		w := &nsWatch{}
		if n.pods {
			i := f.Core().V1().Pods()
			synced = append(synced, r.prepare(i.Informer(), "pods in "+ns))
			w.pods = i.Lister().Pods(ns)
		}
		if n.replicaSets {
			i := f.Apps().V1().ReplicaSets()
			synced = append(synced, r.prepare(i.Informer(), "replicasets in "+ns))
			w.replicaSets = i.Lister().ReplicaSets(ns)
		}
		if n.slices {
			i := f.Discovery().V1().EndpointSlices()
			synced = append(synced, r.prepare(i.Informer(), "endpointslices in "+ns))
			w.slices = i.Lister().EndpointSlices(ns)
		}
		if n.revisions {
			i := f.Apps().V1().ControllerRevisions()
			synced = append(synced, r.prepare(i.Informer(), "controllerrevisions in "+ns))
			w.revisions = i.Lister().ControllerRevisions(ns)
		}
		ev := f.Core().V1().Events()
		synced = append(synced, r.prepare(ev.Informer(), "events in "+ns))
		w.events = ev.Lister().Events(ns)
		r.watches[ns] = w
		f.Start(ctx.Done())
		factories = append(factories, f)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.waitSynced(ctx, synced)
	}()
	return factories
}

// prepare makes an informer wake the loop on every change and log (not fail on) watch
// errors, which the reflector retries by itself, except a forbidden list or watch, which
// stops the run (ForbiddenError). It returns the informer's HasSynced.
func (r *run) prepare(inf cache.SharedIndexInformer, what string) cache.InformerSynced {
	poke := func(any) { r.poke() }
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    poke,
		UpdateFunc: func(_, _ any) { r.poke() },
		DeleteFunc: poke,
	}); err != nil {
		r.cfg.Logger.Warn("cannot watch changes", "watch", what, "error", err)
	}
	// Both fail only on an informer already started, which cannot happen here.
	_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		if apierrors.IsForbidden(err) {
			select {
			case r.denied <- &ForbiddenError{Watch: what, Err: err}:
			default:
			}
			return
		}
		r.cfg.Logger.Debug("watch interrupted; resuming", "watch", what, "error", err)
	})
	_ = inf.SetTransform(stripManagedFields)
	return inf.HasSynced
}

// stripManagedFields drops metadata.managedFields from cached objects: nothing here reads
// them and they are often the largest part of an object.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// related returns what health.Check needs from the namespace, listed once per evaluation.
func (r *run) related(ns string, memo map[string]health.Related) health.Related {
	if rel, ok := memo[ns]; ok {
		return rel
	}
	var rel health.Related
	if w := r.watches[ns]; w != nil {
		all := labels.Everything()
		if w.pods != nil {
			rel.Pods, _ = w.pods.List(all)
		}
		if w.replicaSets != nil {
			rel.ReplicaSets, _ = w.replicaSets.List(all)
		}
		if w.slices != nil {
			rel.EndpointSlices, _ = w.slices.List(all)
		}
		if w.revisions != nil {
			rel.ControllerRevisions, _ = w.revisions.List(all)
		}
		if w.events != nil {
			events, _ := w.events.List(all)
			rel.NodeScaleUps = nodeScaleUps(events)
		}
	}
	memo[ns] = rel
	return rel
}
