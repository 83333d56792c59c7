package deploy

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Prefetched holds the reads a deploy of one release starts with, made while the caller
// did its own work; see Deploy.Prefetch.
type Prefetched struct {
	release string
	done    chan struct{}
	records *records
}

// Prefetch starts the reads that a deploy of release rel begins with (its history's
// summaries, the last deployed revision and the API server's kinds) and returns at
// once, so that they overlap the caller's own work, such as parsing or rendering the
// manifests. Pass the result as DeployOptions.Prefetched to one Run of the same release,
// which waits for them; a read that failed is made again by Run, and whatever Prefetch
// read is only a starting point: Run reads the history again under the lock, as it
// always does.
func (d *Deploy) Prefetch(ctx context.Context, rel string) *Prefetched {
	p := &Prefetched{release: rel, done: make(chan struct{}), records: newRecords(d.cfg.Store, rel)}
	if release.ValidateName(rel) != nil {
		close(p.done)
		return p
	}
	var wg sync.WaitGroup
	// Mapping any kind loads the discovery that the objects' kinds are mapped with.
	wg.Go(func() { _, _ = d.cfg.Mapper.RESTMapping(schema.GroupKind{Kind: "Secret"}, "v1") })
	wg.Go(func() {
		if _, err := p.records.readEarly(ctx); err == nil {
			_, _ = p.records.lastDeployed(ctx)
		}
	})
	go func() {
		wg.Wait()
		close(p.done)
	}()
	return p
}

// recordsFor returns the records p read for a Run of rel, once its reads are done; nil
// when p is nil, for another release, or was used by a Run already.
func (p *Prefetched) recordsFor(ctx context.Context, rel string) *records {
	if p == nil || p.release != rel {
		return nil
	}
	select {
	case <-p.done:
		recs := p.records
		p.records = nil // one Run's
		return recs
	case <-ctx.Done():
		return nil
	}
}
