package deploy

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// Applier applies objects with server-side apply, or validates them with a server-side
// dry run (apply.Options.DryRun); *apply.Applier implements it.
type Applier interface {
	// Apply applies objs in dependency order and returns the server's answers; errors
	// are *apply.Error values, joined.
	Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error)
	// DropManagers removes the managedFields entries of managers from the live objs that
	// shipsafe manages (the ownership transfer of an import) and returns the server's
	// answers for those it changed.
	DropManagers(ctx context.Context, objs []*unstructured.Unstructured, managers []string) ([]*unstructured.Unstructured, error)
}

// Deleter deletes objects; *apply.Applier implements it.
type Deleter interface {
	// Delete deletes those of objs that still belong to opts.Owner (those already gone
	// are no error; the others are reported to opts.OnLeft) and returns those it deleted
	// and every failure joined.
	Delete(ctx context.Context, objs []*unstructured.Unstructured, opts apply.DeleteOptions) ([]*unstructured.Unstructured, error)
}

// Restorer puts objects a failed revision adopted back as they were; *apply.Applier
// implements it.
type Restorer interface {
	// Restore puts each of priors (apply.PriorOf) back as it was, unless it is gone,
	// re-created or opts.Changed refuses it (those are reported to opts.OnLeft), and
	// returns those it put back and every failure joined.
	Restore(ctx context.Context, priors []*unstructured.Unstructured, opts apply.RestoreOptions) ([]*unstructured.Unstructured, error)
}

// Reader reads live objects; *apply.Applier implements it.
type Reader interface {
	// Get returns the live object, or (nil, nil) when it does not exist.
	Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error)
	// Existing returns the metadata of those objs that exist, by key.
	Existing(ctx context.Context, objs []*unstructured.Unstructured) (map[manifest.Key]*metav1.ObjectMeta, error)
}

// Cluster is the cluster as the actions read and change it.
type Cluster interface {
	Applier
	Deleter
	Restorer
	Reader
}

var _ Cluster = (*apply.Applier)(nil)

// Tracker waits until objects are ready or one fails; *track.Tracker implements it.
type Tracker interface {
	Run(ctx context.Context, objs []*unstructured.Unstructured, opts track.RunOptions, emit func(track.Event)) (track.Result, error)
}

var _ Tracker = (*track.Tracker)(nil)

// AccessReviewer tells which permissions the caller lacks; access.Reviewer implements it.
type AccessReviewer interface {
	Missing(ctx context.Context, perms []access.Permission) ([]access.Permission, error)
}

var _ AccessReviewer = access.Reviewer{}

// Config holds what every action needs. Every field but Clock, Verifier and Access is
// required.
type Config struct {
	// Mapper resolves kinds and their scope (kube.Clients.Mapper).
	Mapper meta.RESTMapper
	// Cluster applies, deletes and reads objects: an *apply.Applier in production.
	Cluster Cluster
	// Store keeps release records: a store.Secrets in the release namespace in production.
	Store store.Store
	// Tracker waits for applied objects to become ready: a *track.Tracker in production.
	Tracker Tracker
	// Locker takes the release lock: a LeaseLocker in production.
	Locker Locker
	// Verifier runs a revision's verification checks after it is ready: a
	// *verify.Runner in production (nil: a revision with checks fails).
	Verifier Verifier
	// Access checks, before a deploy or rollback changes anything, that the caller has
	// every permission it needs: an access.Reviewer in production (nil: not checked).
	Access AccessReviewer
	// Holder identifies this process in records (release.DefaultHolder()); the Locker
	// names it in the lock.
	Holder string
	// Clock gives the time of records and events (nil: the real clock).
	Clock clock.PassiveClock
}

func (c *Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock.Now()
	}
	return time.Now()
}

// recordTimeout bounds a record write made after the caller's context ended.
const recordTimeout = 30 * time.Second

// detached returns a context that outlives ctx's cancellation, with its own deadline:
// record writes and rollbacks must finish even after a signal.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return withTimeout(context.WithoutCancel(ctx), d)
}
