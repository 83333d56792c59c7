package deploy_test

import (
	"context"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// TestPrefetchedReadsServeTheRun: the history Prefetch read is the run's first read
// (the history is read twice in all, as without Prefetch: once before the lock and once
// under it); a Prefetch of another release is not used; and a Prefetch that another
// deploy overtook leaves a correct revision (the read under the lock decides).
func TestPrefetchedReadsServeTheRun(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, []*release.Revision{{Number: 1, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a", "1")}}})
	var reads atomic.Int32
	e.Store.HistoryFunc = func(context.Context, string) error { reads.Add(1); return nil }
	run := func(p *deploy.Prefetched, objs ...*unstructured.Unstructured) {
		t.Helper()
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Objects: objs, Prefetched: p})
		if err != nil {
			t.Fatal(err)
		}
	}

	run(deploy.NewDeploy(e.Config).Prefetch(context.Background(), rel), deploytest.ConfigMap("a", "2"))
	if n := reads.Swap(0); n != 2 {
		t.Errorf("a prefetched deploy read the history %d times, want 2 (the prefetch, then under the lock)", n)
	}
	run(deploy.NewDeploy(e.Config).Prefetch(context.Background(), "other"), deploytest.ConfigMap("a", "3"))
	if n := reads.Swap(0); n != 3 {
		t.Errorf("a deploy given another release's prefetch read the history %d times, want 3 (that prefetch, then its own two)", n)
	}

	// Revision 4 is deployed by another deploy after this one's prefetch.
	p := deploy.NewDeploy(e.Config).Prefetch(context.Background(), rel)
	run(nil, deploytest.ConfigMap("a", "4"), deploytest.ConfigMap("b", "4"))
	run(p, deploytest.ConfigMap("a", "5"), deploytest.ConfigMap("b", "5"))
	if got, want := history(t, e), "1:superseded 2:superseded 3:superseded 4:superseded 5:deployed"; got != want {
		t.Errorf("history = %q, want %q", got, want)
	}
	if got, want := live(e), "a=5 b=5"; got != want {
		t.Errorf("live objects %q, want %q", got, want)
	}
	rev, err := e.Store.Store.Get(context.Background(), rel, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Created) > 0 {
		t.Errorf("revision 5 records it created %v; revision 4 had", rev.Created)
	}
}
