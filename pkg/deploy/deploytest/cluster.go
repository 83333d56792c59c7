package deploytest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

var _ deploy.Cluster = (*Cluster)(nil)

// Cluster is a fake deploy.Cluster: a map of live objects by key. Apply stores copies
// (a dry run stores nothing), Delete removes them, Get and Existing read them.
type Cluster struct {
	// ApplyFunc, when set, replaces Apply.
	ApplyFunc func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error)
	// DeleteFunc, when set, replaces Delete.
	DeleteFunc func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.DeleteOptions) ([]*unstructured.Unstructured, error)
	// GetFunc, when set, replaces Get.
	GetFunc func(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error)
	// ExistingFunc, when set, replaces Existing.
	ExistingFunc func(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*metav1.ObjectMeta, error)
	// DropManagersFunc, when set, replaces DropManagers (which otherwise does nothing).
	DropManagersFunc func(ctx context.Context, objs []*unstructured.Unstructured, managers []string) ([]*unstructured.Unstructured, error)
	// RestoreFunc, when set, replaces Restore.
	RestoreFunc func(ctx context.Context, priors []*unstructured.Unstructured, opts apply.RestoreOptions) ([]*unstructured.Unstructured, error)

	mu       sync.Mutex
	objects  map[manifest.Key]*unstructured.Unstructured
	version  int
	applied  []manifest.Key
	checked  []manifest.Key
	deleted  []manifest.Key
	restored []manifest.Key
	// listed counts the calls of Existing.
	listed int
}

// NewCluster returns a fake cluster holding copies of objs.
func NewCluster(objs ...*unstructured.Unstructured) *Cluster {
	c := &Cluster{objects: map[manifest.Key]*unstructured.Unstructured{}}
	for _, o := range objs {
		c.Put(o)
	}
	return c
}

// Put stores a copy of obj as live, as someone else's change would.
func (c *Cluster) Put(obj *unstructured.Unstructured) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(obj)
}

func (c *Cluster) put(obj *unstructured.Unstructured) *unstructured.Unstructured {
	c.version++
	live := obj.DeepCopy()
	live.SetResourceVersion(strconv.Itoa(c.version))
	c.objects[manifest.KeyOf(obj)] = live
	return live.DeepCopy()
}

// Objects returns the keys of the live objects, sorted.
func (c *Cluster) Objects() []manifest.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]manifest.Key, 0, len(c.objects))
	for k := range c.objects {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b manifest.Key) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

// Live returns a copy of the live object with key k, or nil.
func (c *Cluster) Live(k manifest.Key) *unstructured.Unstructured {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.objects[k]; ok {
		return o.DeepCopy()
	}
	return nil
}

// Applied returns the keys of every object applied (not dry-run), in order, repeats kept.
func (c *Cluster) Applied() []manifest.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.applied)
}

// DryRun returns the keys of every object validated with a dry run, in order, repeats
// kept.
func (c *Cluster) DryRun() []manifest.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.checked)
}

// Restored returns the keys of every object put back by Restore, in order.
func (c *Cluster) Restored() []manifest.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.restored)
}

// Deleted returns the keys of every object deleted, in order.
func (c *Cluster) Deleted() []manifest.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.deleted)
}

// Apply calls ApplyFunc when set, else ApplyObjects.
func (c *Cluster) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
	if c.ApplyFunc != nil {
		return c.ApplyFunc(ctx, objs, opts)
	}
	return c.ApplyObjects(ctx, objs, opts)
}

// ApplyObjects stores copies of objs, in manifest.Groups order, and calls opts.OnApplied
// for each; a dry run stores nothing. It fails with ctx's error once ctx is done. An
// ApplyFunc may call it to apply some objects and fail others.
func (c *Cluster) ApplyObjects(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, group := range manifest.Groups(objs) {
		for _, o := range group {
			if err := ctx.Err(); err != nil {
				return out, &apply.Error{Key: manifest.KeyOf(o), Op: "apply", Err: err}
			}
			if opts.DryRun {
				c.mu.Lock()
				c.checked = append(c.checked, manifest.KeyOf(o))
				c.mu.Unlock()
				out = append(out, o.DeepCopy())
				continue
			}
			c.mu.Lock()
			live := c.put(o)
			c.applied = append(c.applied, manifest.KeyOf(o))
			c.mu.Unlock()
			out = append(out, live)
			if opts.OnApplied != nil {
				opts.OnApplied(live)
			}
		}
	}
	return out, nil
}

// Delete calls DeleteFunc when set, else DeleteObjects.
func (c *Cluster) Delete(ctx context.Context, objs []*unstructured.Unstructured, opts apply.DeleteOptions) ([]*unstructured.Unstructured, error) {
	if c.DeleteFunc != nil {
		return c.DeleteFunc(ctx, objs, opts)
	}
	return c.DeleteObjects(ctx, objs, opts)
}

// DeleteObjects removes those of objs that are live and belong to opts.Owner, as
// apply.Applier.Delete does: the others are reported to opts.OnLeft, and so are those
// kept by a resource-policy annotation or opts.Keep, which lose the owner's label and
// annotation instead. It returns those it removed.
func (c *Cluster) DeleteObjects(_ context.Context, objs []*unstructured.Unstructured, opts apply.DeleteOptions) ([]*unstructured.Unstructured, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*unstructured.Unstructured
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if live, ok := c.objects[k]; ok {
			if !opts.Owner.Owns(live.GetLabels(), live.GetAnnotations()) {
				if opts.OnLeft != nil {
					opts.OnLeft(k, "belongs to "+manifest.DescribeOwner(live.GetLabels(), live.GetAnnotations())+" now")
				}
				continue
			}
			why, keep := opts.Keep[k]
			if ann, ok := manifest.Kept(live.GetAnnotations()); ok {
				why, keep = "kept by its "+ann+": keep annotation", true
			}
			if keep {
				labels, annotations := live.GetLabels(), live.GetAnnotations()
				delete(labels, manifest.ReleaseLabel)
				delete(annotations, manifest.ReleaseNamespaceAnnotation)
				live.SetLabels(labels)
				live.SetAnnotations(annotations)
				if opts.OnLeft != nil {
					opts.OnLeft(k, why+": left in place, no longer part of "+opts.Owner.String())
				}
				continue
			}
			delete(c.objects, k)
			c.deleted = append(c.deleted, k)
			out = append(out, o)
		}
	}
	return out, nil
}

// Get returns a copy of the live object, or (nil, nil). Every Namespace exists, as the
// fake holds namespaced objects in any namespace: a Namespace that was not applied is
// returned bare.
func (c *Cluster) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	if c.GetFunc != nil {
		return c.GetFunc(ctx, gvk, namespace, name)
	}
	live := c.Live(manifest.Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: namespace, Name: name})
	if live == nil && gvk.Group == "" && gvk.Kind == "Namespace" {
		live = &unstructured.Unstructured{}
		live.SetGroupVersionKind(gvk)
		live.SetName(name)
	}
	return live, nil
}

// Listed returns how many times Existing read the cluster (not counting ExistingFunc's
// calls).
func (c *Cluster) Listed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.listed
}

// Existing returns the metadata of those objs that are live.
func (c *Cluster) Existing(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*metav1.ObjectMeta, error) {
	if c.ExistingFunc != nil {
		return c.ExistingFunc(ctx, objs)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list existing objects: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listed++
	out := map[manifest.Key]*metav1.ObjectMeta{}
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if live, ok := c.objects[k]; ok {
			out[k] = &metav1.ObjectMeta{Name: live.GetName(), Namespace: live.GetNamespace(), Labels: live.GetLabels(),
				Annotations: live.GetAnnotations(), UID: live.GetUID(), ResourceVersion: live.GetResourceVersion(), Generation: live.GetGeneration()}
		}
	}
	return out, nil
}

// DropManagers does nothing unless DropManagersFunc is set.
func (c *Cluster) DropManagers(ctx context.Context, objs []*unstructured.Unstructured, managers []string) ([]*unstructured.Unstructured, error) {
	if c.DropManagersFunc != nil {
		return c.DropManagersFunc(ctx, objs, managers)
	}
	return nil, nil
}

// Restore calls RestoreFunc when set, else RestoreObjects.
func (c *Cluster) Restore(ctx context.Context, priors []*unstructured.Unstructured, opts apply.RestoreOptions) ([]*unstructured.Unstructured, error) {
	if c.RestoreFunc != nil {
		return c.RestoreFunc(ctx, priors, opts)
	}
	return c.RestoreObjects(ctx, priors, opts)
}

// RestoreObjects puts each of priors back as apply.Applier.Restore does: one that is
// gone, has another uid, or that opts.Changed refuses is left (reported to
// opts.OnLeft); one still at its prior resourceVersion needs nothing; the others are
// stored as their prior (at a new resourceVersion). It returns those it put back.
func (c *Cluster) RestoreObjects(_ context.Context, priors []*unstructured.Unstructured, opts apply.RestoreOptions) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	left := func(k manifest.Key, why string) {
		if opts.OnLeft != nil {
			opts.OnLeft(k, why)
		}
	}
	for _, p := range priors {
		k := manifest.KeyOf(p)
		live := c.Live(k)
		switch {
		case live == nil:
			left(k, "deleted since it was adopted")
			continue
		case live.GetUID() != p.GetUID():
			left(k, "re-created since it was adopted")
			continue
		case live.GetResourceVersion() == p.GetResourceVersion():
			continue
		}
		if why := opts.Changed(live); why != "" {
			left(k, why)
			continue
		}
		c.mu.Lock()
		c.put(p)
		c.restored = append(c.restored, k)
		c.mu.Unlock()
		out = append(out, p)
	}
	return out, nil
}
