package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// FieldManager is the server-side apply manager that owns the fields shipsafe sets.
const FieldManager = "shipsafe"

// DefaultParallelism bounds the requests in flight while applying one group of objects.
const DefaultParallelism = 32

// Applier applies and deletes objects through the dynamic client.
type Applier struct {
	dynamic     dynamic.Interface
	metadata    metadata.Interface
	mapper      meta.RESTMapper
	parallelism int
	// beforeDelete, when set (by tests), runs between reading an object and deleting it.
	beforeDelete func(manifest.Key)
}

// New returns an Applier. parallelism <= 0 means DefaultParallelism.
func New(dyn dynamic.Interface, md metadata.Interface, mapper meta.RESTMapper, parallelism int) *Applier {
	if parallelism <= 0 {
		parallelism = DefaultParallelism
	}
	return &Applier{dynamic: dyn, metadata: md, mapper: mapper, parallelism: parallelism}
}

// Options tune one Apply.
type Options struct {
	// DryRun asks the server to validate and default without persisting.
	DryRun bool
	// Force takes fields that other managers own instead of failing with a conflict.
	Force bool
	// OnApplied, when set, is called after each object is applied (from several goroutines).
	OnApplied func(obj *unstructured.Unstructured)
	// OnTakeover, when set, is called when fields changed by hand (by managers that only
	// ever made imperative updates) were taken back. Fields that another server-side
	// apply manager owns are never taken without Force: they stay a conflict error.
	OnTakeover func(key manifest.Key, took Takeover)
	// OnReplicasKept, when set, is called after applying (not validating) a workload
	// whose spec.replicas an HPA scales and the apply left as it was (see Apply).
	OnReplicasKept func(key manifest.Key, kept KeptReplicas)
}

// Apply applies objs group by group (manifest.Groups: CRDs and namespaces first,
// workloads after their config), each group in parallel. After a group with CRDs it
// waits until the API server serves their kinds (awaitCRDs), so that a later group may
// hold their custom resources. It stops at the first group with
// an error and returns every error of that group joined; a dry run, which persists
// nothing a later group could depend on, validates every group and returns all their
// errors. It returns the live objects the server answered with, in the order applied.
//
// Fields owned by controllers are left to them: the spec.replicas of a Scalable workload
// that a HorizontalPodAutoscaler scales (one of objs, or one in the cluster, matched by
// its scaleTargetRef in the same namespace) is not forced back to the manifest's count
// once the workload exists (leaveReplicas; opts.OnReplicasKept is told), however it
// was scaled. A new workload is created with the manifest's count.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts Options) ([]*unstructured.Unstructured, error) {
	hpas, err := a.autoscalersOf(ctx, objs)
	if err != nil {
		return nil, err
	}
	var (
		applied []*unstructured.Unstructured
		errs    []error
	)
	for _, group := range manifest.Groups(objs) {
		out, err := a.applyGroup(ctx, group, opts, hpas)
		if err == nil && !opts.DryRun && hasCRD(group) {
			// The next groups may hold custom resources of these CRDs.
			out, err = a.awaitCRDs(ctx, out, opts)
		}
		applied = append(applied, out...)
		if err != nil {
			if !opts.DryRun || ctx.Err() != nil {
				return applied, errors.Join(append(errs, err)...)
			}
			errs = append(errs, err)
			continue
		}
	}
	return applied, errors.Join(errs...)
}

// applyGroup applies group in parallel (fanout.Each: every failure reported) and returns
// the server's answers, in group order.
func (a *Applier) applyGroup(ctx context.Context, group []*unstructured.Unstructured, opts Options, hpas autoscalers) ([]*unstructured.Unstructured, error) {
	applied := make([]*unstructured.Unstructured, len(group))
	err := fanout.Each(ctx, a.parallelism, group, func(ctx context.Context, i int, obj *unstructured.Unstructured) error {
		live, err := a.applyOne(ctx, obj, opts, hpas)
		if err != nil {
			return err
		}
		applied[i] = live
		if opts.OnApplied != nil {
			opts.OnApplied(live)
		}
		return nil
	})
	return compact(applied), err
}

func compact(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := objs[:0:0]
	for _, o := range objs {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// applyOne server-side applies one object; hpas says which workloads HPAs scale.
func (a *Applier) applyOne(ctx context.Context, obj *unstructured.Unstructured, opts Options, hpas autoscalers) (*unstructured.Unstructured, error) {
	key := manifest.KeyOf(obj)
	ri, err := a.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, &Error{Key: key, Op: "apply", Err: err}
	}
	hpa, scaled := hpas.of(obj)
	po := metav1.PatchOptions{FieldManager: FieldManager, Force: &opts.Force}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	var (
		live *unstructured.Unstructured
		kept *KeptReplicas
	)
	for attempt := 1; ; attempt++ {
		var body []byte
		body, kept, err = a.applyBody(ctx, ri, obj, hpa, scaled)
		if err != nil {
			return nil, &Error{Key: key, Op: opVerb(opts), Err: err}
		}
		live, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, po)
		if scaled && attempt < replicasAttempts && conflictsOn(err, ".spec.replicas") {
			// The HPA scaled it between the read and the apply: read it again.
			continue
		}
		if err != nil && !opts.Force {
			// Fields changed by hand (kubectl scale/edit/set) are drift: take them back.
			var took *Takeover
			took, live, err = takeBackHandEdits(ctx, ri, obj.GetName(), err, func() (*unstructured.Unstructured, error) {
				force := po
				force.Force = ptr.To(true)
				return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, force)
			})
			if err == nil && opts.OnTakeover != nil {
				opts.OnTakeover(key, *took)
			}
		}
		break
	}
	if err != nil {
		return nil, &Error{Key: key, Op: opVerb(opts), Err: err}
	}
	if kept != nil && !opts.DryRun && opts.OnReplicasKept != nil {
		opts.OnReplicasKept(key, *kept)
	}
	return live, nil
}

// replicasAttempts bounds the applies of a workload an HPA keeps scaling meanwhile.
const replicasAttempts = 3

// applyBody encodes obj for an apply patch; when scaled (HPA hpa scales it), with its
// replicas left as they are live (leaveReplicas), and what was kept.
func (a *Applier) applyBody(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured, hpa string, scaled bool) ([]byte, *KeptReplicas, error) {
	body := stripForApply(obj)
	var kept *KeptReplicas
	if scaled {
		var err error
		if body, kept, err = leaveReplicas(ctx, ri, body, hpa); err != nil {
			return nil, nil, err
		}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("encode: %w", err)
	}
	return data, kept, nil
}

// conflictsOn reports whether err is a server-side apply conflict on the field path.
func conflictsOn(err error, path string) bool {
	cs, _ := Conflicts(err)
	return slices.ContainsFunc(cs, func(c Conflict) bool { return c.Path == path })
}

func opVerb(opts Options) string {
	if opts.DryRun {
		return "validate"
	}
	return "apply"
}

// stripForApply drops the fields a manifest must not send in an apply patch.
func stripForApply(obj *unstructured.Unstructured) *unstructured.Unstructured {
	c := obj.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(c.Object, "metadata", "uid")
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(c.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(c.Object, "metadata", "generation")
	unstructured.RemoveNestedField(c.Object, "status")
	return c
}

// resource returns the dynamic client for obj's kind in namespace.
func (a *Applier) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("%w: the cluster does not serve kind %s in %s; install its CRD first or fix apiVersion",
				ErrUnknownKind, gvk.Kind, gvk.GroupVersion())
		}
		return nil, fmt.Errorf("map kind %s: %w", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return a.dynamic.Resource(m.Resource).Namespace(namespace), nil
	}
	return a.dynamic.Resource(m.Resource), nil
}

func hasCRD(objs []*unstructured.Unstructured) bool {
	for _, o := range objs {
		if isCRD(o) {
			return true
		}
	}
	return false
}

// Get returns the live object, or (nil, nil) when it does not exist.
func (a *Applier) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, err := a.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	live, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	return live, nil
}
