package cli

import (
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// trackFlags tune failure detection.
type trackFlags struct {
	crashLoopRestarts  int32
	readyGrace         time.Duration
	unschedulableGrace time.Duration
	settle             time.Duration
}

// actionEnv is what a command that runs an action needs: the action's config, the clients
// it is built on, and the release namespace.
type actionEnv struct {
	cfg     *deploy.Config
	clients *kube.Clients
	ns      string
}

// actionConfig builds the clients and the deploy.Config for the release namespace.
func (a *app) actionConfig(tf trackFlags) (*actionEnv, error) {
	clients, err := kube.FromFlags(a.flags)
	if err != nil {
		return nil, &deploy.InputError{Err: err}
	}
	ns := clients.Namespace
	holder := release.DefaultHolder()
	cfg := &deploy.Config{
		Mapper:  clients.Mapper,
		Cluster: apply.New(clients.Dynamic, clients.Metadata, clients.Mapper, 0),
		Store:   a.recordStore(clients, ns),
		Tracker: track.New(track.Config{
			Dynamic: clients.Dynamic,
			Typed:   clients.Typed,
			Mapper:  clients.Mapper,
			Health: health.Options{
				CrashLoopRestarts:  tf.crashLoopRestarts,
				ReadyGrace:         tf.readyGrace,
				UnschedulableGrace: tf.unschedulableGrace,
				Settle:             tf.settle,
			},
		}),
		Locker: &deploy.LeaseLocker{Client: clients.LockClient(), Holder: holder, Fence: clients.Fence},
		Access: access.Reviewer{Client: clients.Typed.AuthorizationV1()},
		Holder: holder,
		Clock:  clock.RealClock{},
	}
	return &actionEnv{cfg: cfg, clients: clients, ns: ns}, nil
}

// recordStore returns the release records of namespace ns, their writes retried after
// errors that may pass (each retry reported on stderr).
func (a *app) recordStore(clients *kube.Clients, ns string) store.Store {
	return store.NewRetrying(store.NewSecrets(clients.Typed, ns).WithMetadata(clients.Metadata), store.RetryOptions{
		OnRetry: func(op string, rev int, err error, wait time.Duration) {
			fmt.Fprintf(a.stderr, "warning: %s of the record of revision %d failed, retrying in %s: %v\n", op, rev, wait, err)
		},
	})
}

// outputFormat validates -o.
func outputFormat(o string) error {
	switch o {
	case "", "text", "json":
		return nil
	}
	return &usageError{fmt.Errorf("-o %q: want text or json", o)}
}
