package deploytest

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/track"
)

var _ deploy.Tracker = (*Tracker)(nil)

// Tracker is a fake deploy.Tracker: every object is Ready at once.
type Tracker struct {
	// RunFunc, when set, replaces Run.
	RunFunc func(ctx context.Context, objs []*unstructured.Unstructured, emit func(track.Event)) (track.Result, error)

	mu        sync.Mutex
	runs      [][]manifest.Key
	unchanged [][]manifest.Key
}

// Run records the objects tracked, and those of them opts names unchanged, and reports
// them all Ready (or ctx's error, with none ready, once ctx is done).
func (t *Tracker) Run(ctx context.Context, objs []*unstructured.Unstructured, opts track.RunOptions, emit func(track.Event)) (track.Result, error) {
	var keys, same []manifest.Key
	for _, o := range objs {
		keys = append(keys, manifest.KeyOf(o))
		if opts.Unchanged[manifest.KeyOf(o)] {
			same = append(same, manifest.KeyOf(o))
		}
	}
	t.mu.Lock()
	t.runs = append(t.runs, keys)
	t.unchanged = append(t.unchanged, same)
	t.mu.Unlock()
	if t.RunFunc != nil {
		return t.RunFunc(ctx, objs, emit)
	}
	if err := ctx.Err(); err != nil {
		return Result(objs, health.Progressing), err
	}
	return Result(objs, health.Ready), nil
}

// Runs returns the keys tracked by each call of Run, in order.
func (t *Tracker) Runs() [][]manifest.Key {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([][]manifest.Key, len(t.runs))
	copy(out, t.runs)
	return out
}

// Unchanged returns, for each call of Run in order, the keys it was told were unchanged
// (track.RunOptions.Unchanged), in the order of its objects.
func (t *Tracker) Unchanged() [][]manifest.Key {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([][]manifest.Key, len(t.unchanged))
	copy(out, t.unchanged)
	return out
}

// Result returns a track.Result with every one of objs at phase.
func Result(objs []*unstructured.Unstructured, phase health.Phase) track.Result {
	var res track.Result
	for _, o := range objs {
		res.Objects = append(res.Objects, track.ObjectResult{Ref: manifest.KeyOf(o), Status: health.Status{Phase: phase}})
	}
	return res
}

// Failed returns the result of tracking objs when the one with key k failed for reason.
func Failed(objs []*unstructured.Unstructured, k manifest.Key, reason, message string, evidence ...string) track.Result {
	res := Result(objs, health.Ready)
	for i := range res.Objects {
		if res.Objects[i].Ref == k {
			res.Objects[i].Status = health.Status{Phase: health.Failed, Reason: reason, Message: message}
		}
	}
	res.Failed, res.Object, res.Reason, res.Message, res.Evidence = true, k, reason, message, evidence
	return res
}
