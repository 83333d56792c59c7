package cli

import (
	"fmt"
	"log/slog"
	"time"

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

// actionConfig builds the clients and the deploy.Config for the release namespace.
func (a *app) actionConfig(tf trackFlags) (*deploy.Config, string, error) {
	clients, err := kube.FromFlags(a.flags)
	if err != nil {
		return nil, "", &deploy.InputError{Err: err}
	}
	ns := clients.Namespace
	cfg := &deploy.Config{
		Clients: clients,
		Store:   store.NewSecrets(clients.Typed, ns),
		Applier: apply.New(clients.Dynamic, clients.Metadata, clients.Mapper, 0),
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
		Holder: release.DefaultHolder(),
		Clock:  time.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	return cfg, ns, nil
}

// outputFormat validates -o.
func outputFormat(o string) error {
	switch o {
	case "", "text", "json":
		return nil
	}
	return &usageError{fmt.Errorf("-o %q: want text or json", o)}
}
