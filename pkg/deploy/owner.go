package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// ownerOf is the release rev belongs to.
func ownerOf(rev *release.Revision) manifest.Owner {
	return manifest.Owner{Namespace: rev.Namespace, Name: rev.Release}
}

// deleteOptions are the options of every delete an action of owner makes: an object
// that is not owner's any more (or is kept by its resource policy) stays, with a
// warning that says why.
func deleteOptions(owner manifest.Owner, ev *emitter) apply.DeleteOptions {
	return apply.DeleteOptions{Owner: owner, OnLeft: func(k manifest.Key, why string) {
		ev.emit(Event{Kind: Warning, Object: k.String(), Message: k.String() + ": " + why})
	}}
}

// readHistory returns the revisions of release name that can be read, and the number a
// new revision takes. A damaged record is skipped with a warning that names the
// command removing it, and numbered past: records are input from the cluster, and one
// bad record must not stop the release's deploys. ev may be nil.
func readHistory(ctx context.Context, cfg *Config, name string, ev *emitter) ([]*release.Revision, int, error) {
	revs, err := cfg.Store.History(ctx, name)
	var damaged *store.DamagedError
	switch {
	case errors.As(err, &damaged):
		for _, r := range damaged.Records {
			if ev != nil {
				ev.warn(fmt.Sprintf("skipped a damaged release record: %v; remove it with `%s`", r.Err, r.RemoveCommand()))
			}
		}
		return revs, max(release.NextNumber(revs), damaged.Highest()+1), nil
	case err != nil:
		return nil, 0, fmt.Errorf("read history of %q: %w", name, err)
	}
	return revs, release.NextNumber(revs), nil
}
