package track_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// TestUnchangedObjectsAreListedOnce tracks n idle Deployments and their Services
// (ready as soon as their controllers have seen them) as unchanged: they are judged
// from one LIST per kind and of each related kind in the namespace, and none is
// watched, whatever n. An unchanged Deployment whose pod crashes now is watched and
// fails, with the container's log as evidence.
func TestUnchangedObjectsAreListedOnce(t *testing.T) {
	t.Parallel()
	cfg, log := clustertest.LoggedConfig(t)
	e := newEnvFrom(t, cfg)
	const n = 12
	var objs []*unstructured.Unstructured
	unchanged := map[track.ObjectRef]bool{}
	for i := range n {
		name := fmt.Sprintf("app-%02d", i)
		objs = append(objs, e.create(t, deployment(name, 0, container(clustertest.Image(t, "naive", "v1")))), e.create(t, service(name, false)))
	}
	for _, o := range objs {
		unchanged[track.RefOf(o)] = true
	}
	tr := track.New(track.Config{Dynamic: e.dyn, Typed: e.cs, Mapper: e.mapper, Logger: testLogger(t)})
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	// Watched until ready, as after an apply.
	if res, err := tr.Run(ctx, objs, track.RunOptions{}, nil); err != nil || res.Failed {
		t.Fatalf("first run: %v (%s)", err, res.Message)
	}

	log.Take()
	var events []track.Event
	res, err := tr.Run(ctx, objs, track.RunOptions{Unchanged: unchanged}, func(ev track.Event) { events = append(events, ev) })
	requests := log.Take()
	if err != nil || res.Failed || len(res.NotReady()) > 0 {
		t.Fatalf("unchanged run: %v, failed %v (%s), not ready %v", err, res.Failed, res.Message, res.NotReady())
	}
	// deployments, services, pods, replicasets, endpointslices.
	if len(requests) > 5 {
		t.Errorf("tracking %d unchanged ready objects made %d requests, want at most 5:\n%v", len(objs), len(requests), requests)
	}
	statuses := 0
	for _, ev := range events {
		if ev.Type == track.StatusChanged && ev.Status.Phase == health.Ready {
			statuses++
		}
	}
	if statuses != len(objs) || events[len(events)-1].Type != track.Done {
		t.Errorf("events: %d Ready statuses, last %v; want %d and Done", statuses, events[len(events)-1].Type, len(objs))
	}

	// An unchanged Deployment whose pod crashes (as if it had begun to since the last
	// deploy) is not Ready when judged, so it is watched and fails with its evidence.
	crash := e.create(t, deployment("crasher", 1, container(clustertest.Image(t, "crash", "v1"))))
	if res, err := tr.Run(ctx, []*unstructured.Unstructured{crash}, track.RunOptions{}, nil); err != nil || !res.Failed {
		t.Fatalf("first run of the crashing Deployment: error %v, failed %v; want it failed", err, res.Failed)
	}
	unchanged[track.RefOf(crash)] = true
	res, err = tr.Run(ctx, append(objs, crash), track.RunOptions{Unchanged: unchanged}, nil)
	if err != nil || !res.Failed || res.Object != track.RefOf(crash) {
		t.Fatalf("unchanged crashing Deployment: error %v, failed %v, object %v (%s); want crasher failed", err, res.Failed, res.Object, res.Message)
	}
	if !evidenceContains(res, "fatal:") {
		t.Errorf("evidence %q lacks the container's fatal: line", res.Evidence)
	}
}
