package diff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Cluster reads live objects and dry-runs server-side applies; *apply.Applier
// implements it.
type Cluster interface {
	// Get returns the live object, or (nil, nil) when it does not exist.
	Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error)
	// Apply server-side applies objs (here always with DryRun) and returns the server's
	// answers; errors are *apply.Error values, joined.
	Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error)
}

var _ Cluster = (*apply.Applier)(nil)

// History reads a release's revisions; every store.Store implements it.
type History interface {
	History(ctx context.Context, name string) ([]*release.Revision, error)
}

// Config holds what Plan and Drift need.
type Config struct {
	// Cluster reads and dry-runs against the live cluster.
	Cluster Cluster
	// Store holds the release records (the release namespace's store).
	Store History
	// Mapper resolves kinds and their scope, to default namespaces as deploy does.
	Mapper meta.RESTMapper
	// Parallelism bounds concurrent reads (0: DefaultParallelism).
	Parallelism int
}

// DefaultParallelism bounds the reads in flight when Config.Parallelism is 0.
const DefaultParallelism = 16

// fetch gets the live version of every object, in parallel, keyed by manifest.Key;
// absent objects (and objects of kinds the cluster no longer serves) are missing from
// the map.
func (c *Config) fetch(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*unstructured.Unstructured, error) {
	n := c.Parallelism
	if n <= 0 {
		n = DefaultParallelism
	}
	var (
		mu  sync.Mutex
		out = make(map[manifest.Key]*unstructured.Unstructured, len(objs))
	)
	err := fanout.Each(ctx, n, objs, func(ctx context.Context, _ int, o *unstructured.Unstructured) error {
		live, err := c.Cluster.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		switch {
		case errors.Is(err, apply.ErrUnknownKind):
		case err != nil:
			return fmt.Errorf("read %s: %w", manifest.KeyOf(o), err)
		case live != nil:
			mu.Lock()
			defer mu.Unlock()
			out[manifest.KeyOf(o)] = live
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Conflict is a field the manifest sets that another field manager owns: a deploy
// without --force-conflicts stops on it.
type Conflict = apply.Conflict

// dryRun server-side applies objs in dry-run mode as deploy would and returns the
// server's answer for each. Unless force, objects whose apply conflicts with other field
// managers are dry-run again with force, so the answer shows what --force-conflicts
// would do, and their conflicts are returned. Any other error is returned as it is.
func (c *Config) dryRun(ctx context.Context, objs []*unstructured.Unstructured, force bool) (map[manifest.Key]*unstructured.Unstructured, map[manifest.Key][]Conflict, error) {
	after := map[manifest.Key]*unstructured.Unstructured{}
	conflicts := map[manifest.Key][]Conflict{}
	if len(objs) == 0 {
		return after, conflicts, nil
	}
	answers, err := c.Cluster.Apply(ctx, objs, apply.Options{DryRun: true, Force: force})
	for _, a := range answers {
		after[manifest.KeyOf(a)] = a
	}
	if err == nil {
		return after, conflicts, nil
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	byKey := manifest.Index(objs)
	var (
		retry  []*unstructured.Unstructured
		others []error
	)
	for _, e := range leaves(err) {
		var ae *apply.Error
		if !errors.As(e, &ae) || force || !apierrors.IsConflict(ae.Err) {
			others = append(others, e)
			continue
		}
		conflicts[ae.Key] = conflictsOf(ae.Err)
		if o, ok := byKey[ae.Key]; ok {
			retry = append(retry, o)
		}
	}
	if len(others) > 0 {
		return nil, nil, errors.Join(others...)
	}
	forced, err := c.Cluster.Apply(ctx, retry, apply.Options{DryRun: true, Force: true})
	if err != nil {
		return nil, nil, err
	}
	for _, a := range forced {
		after[manifest.KeyOf(a)] = a
	}
	return after, conflicts, nil
}

// leaves flattens joined errors.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// conflictsOf lists the fields and managers of a server-side apply conflict, by path.
func conflictsOf(err error) []Conflict {
	out, _ := apply.Conflicts(err)
	slices.SortFunc(out, func(a, b Conflict) int { return strings.Compare(a.Path, b.Path) })
	return out
}
