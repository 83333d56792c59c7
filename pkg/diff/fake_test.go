package diff

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// fakeCluster is a tiny API server: Get reads live objects; a dry-run Apply answers with
// the applied fields merged over the live object (or the object alone), plus a server
// default and volatile metadata, and refuses conflicting or invalid objects.
type fakeCluster struct {
	t    *testing.T
	mu   sync.Mutex
	live map[manifest.Key]*unstructured.Unstructured
	// conflicts makes a non-forced apply of the object fail with these causes.
	conflicts map[manifest.Key][]metav1.StatusCause
	// invalid makes any apply of the object fail as Invalid.
	invalid map[manifest.Key]bool
	// forced records the keys dry-run with Force.
	forced []manifest.Key
	// beforeDryRun, when set, runs before each object's dry run (with mu held), to play
	// a controller writing the object between diff's read and its dry run.
	beforeDryRun func(k manifest.Key)
}

func newFakeCluster(t *testing.T, live ...*unstructured.Unstructured) *fakeCluster {
	c := &fakeCluster{t: t, live: map[manifest.Key]*unstructured.Unstructured{},
		conflicts: map[manifest.Key][]metav1.StatusCause{}, invalid: map[manifest.Key]bool{}}
	for _, o := range live {
		c.live[manifest.KeyOf(o)] = o
	}
	return c
}

func (c *fakeCluster) Get(_ context.Context, gvk schema.GroupVersionKind, ns, name string) (*unstructured.Unstructured, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.live[manifest.Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: ns, Name: name}]
	if !ok {
		return nil, nil
	}
	return o.DeepCopy(), nil
}

func (c *fakeCluster) Apply(_ context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !opts.DryRun {
		c.t.Errorf("a real apply: diff must only dry-run")
		return nil, errors.New("not a dry run")
	}
	var (
		out  []*unstructured.Unstructured
		errs []error
	)
	for _, o := range objs {
		k := manifest.KeyOf(o)
		switch {
		case c.invalid[k]:
			errs = append(errs, &apply.Error{Key: k, Op: "validate", Err: apierrors.NewInvalid(schema.GroupKind{Kind: k.Kind}, k.Name, nil)})
			continue
		case len(c.conflicts[k]) > 0 && !opts.Force:
			errs = append(errs, &apply.Error{Key: k, Op: "validate", Err: apierrors.NewApplyConflict(c.conflicts[k], "conflict")})
			continue
		}
		if opts.Force {
			c.forced = append(c.forced, k)
		}
		if c.beforeDryRun != nil {
			c.beforeDryRun(k)
		}
		answer := o.DeepCopy()
		answer.SetResourceVersion("") // a dry-run create
		if live, ok := c.live[k]; ok {
			answer = &unstructured.Unstructured{Object: merge(live.DeepCopy().Object, o.DeepCopy().Object)}
			answer.SetResourceVersion(live.GetResourceVersion()) // as the API server: the version it started from
		}
		if k.Kind == "Deployment" {
			if _, ok, _ := unstructured.NestedInt64(answer.Object, "spec", "progressDeadlineSeconds"); !ok {
				_ = unstructured.SetNestedField(answer.Object, int64(600), "spec", "progressDeadlineSeconds")
			}
		}
		answer.SetUID("uid-from-server")
		answer.SetGeneration(answer.GetGeneration() + 1)
		out = append(out, answer)
	}
	return out, errors.Join(errs...)
}

// merge overlays b onto a, recursively for maps; lists and scalars are replaced.
func merge(a, b map[string]any) map[string]any {
	for k, bv := range b {
		am, aIsMap := a[k].(map[string]any)
		bm, bIsMap := bv.(map[string]any)
		if aIsMap && bIsMap {
			a[k] = merge(am, bm)
			continue
		}
		a[k] = bv
	}
	return a
}

// mapper knows the kinds the tests use.
func mapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	return m
}

// obj decodes one YAML object.
func obj(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	o := &unstructured.Unstructured{}
	if err := o.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return o
}

// deployed records objs as the deployed revision 1 of release rel in a memory store.
func deployed(t *testing.T, rel string, objs ...*unstructured.Unstructured) *store.Memory {
	t.Helper()
	st := store.NewMemory()
	rev := &release.Revision{Release: rel, Namespace: "prod", Number: 1, Status: release.StatusPending, Objects: objs, StartedAt: time.Now()}
	if err := rev.Transition(release.StatusDeployed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	return st
}

// live returns obj as the cluster would hold it after shipsafe applied it: namespace,
// release label and volatile metadata set.
func live(o *unstructured.Unstructured, rel string) *unstructured.Unstructured {
	l := o.DeepCopy()
	if l.GetNamespace() == "" && l.GetKind() != "Namespace" {
		l.SetNamespace("prod")
	}
	labels := l.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[manifest.ReleaseLabel] = rel
	l.SetLabels(labels)
	if err := manifest.SetOwner([]*unstructured.Unstructured{l}, manifest.Owner{Namespace: "prod", Name: rel}); err != nil {
		panic(err)
	}
	if l.GetKind() == "Deployment" {
		_ = unstructured.SetNestedField(l.Object, int64(600), "spec", "progressDeadlineSeconds") // a server default
	}
	l.SetResourceVersion("41")
	l.SetUID("uid")
	l.SetGeneration(3)
	l.SetCreationTimestamp(metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	return l
}
