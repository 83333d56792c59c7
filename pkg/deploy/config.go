package deploy

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// Tracker waits until objects are ready or one fails; *track.Tracker implements it.
type Tracker interface {
	Run(ctx context.Context, objs []*unstructured.Unstructured, emit func(track.Event)) (track.Result, error)
}

var _ Tracker = (*track.Tracker)(nil)

// Config holds what every action needs.
type Config struct {
	Clients *kube.Clients
	// Store keeps release records; a store.Secrets in the release namespace in production.
	Store   store.Store
	Applier *apply.Applier
	Tracker Tracker
	// Holder identifies this process in locks and records (release.DefaultHolder()).
	Holder string
	// LockTTL is how long the release lock outlives its holder's last renewal.
	LockTTL time.Duration
	Clock   func() time.Time
	Logger  *slog.Logger
}

func (c *Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Config) locker(namespace, name string) *release.Locker {
	return release.NewLocker(c.Clients.Typed, namespace, name, c.Holder, release.LockOptions{TTL: c.LockTTL, Clock: c.Clock})
}

// recordTimeout bounds a record write made after the caller's context ended.
const recordTimeout = 30 * time.Second

// detached returns a context that outlives ctx's cancellation, with its own deadline:
// record writes and rollbacks must finish even after a signal.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}
