package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// TestHistoryTrimmedWithoutReadingItAgain: a deploy trims history to HistoryMax from the
// summaries it read under the lock (with its own revision deployed and the previous one
// superseded), reading the history no more often than a deploy within the limit: twice,
// before the lock and under it.
func TestHistoryTrimmedWithoutReadingItAgain(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, []*release.Revision{
		{Number: 1, Status: release.StatusSuperseded, Objects: []*unstructured.Unstructured{cm("a", "0")}},
		{Number: 2, Status: release.StatusFailed, Objects: []*unstructured.Unstructured{cm("a", "9")}},
		{Number: 3, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a", "1")}},
	})
	var reads atomic.Int32
	e.Store.HistoryFunc = func(context.Context, string) error { reads.Add(1); return nil }
	run := func(value string, max int) int32 {
		t.Helper()
		reads.Store(0)
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", value)},
			RunOptions: deploy.RunOptions{HistoryMax: max},
		})
		if err != nil {
			t.Fatal(err)
		}
		return reads.Load()
	}

	within := run("2", 10)
	if got, want := history(t, e), "1:superseded 2:failed 3:superseded 4:deployed"; got != want {
		t.Fatalf("history = %q, want %q", got, want)
	}
	over := run("3", 3)
	if got, want := history(t, e), "3:superseded 4:superseded 5:deployed"; got != want {
		t.Errorf("history after revision 5 with HistoryMax 3 = %q, want %q", got, want)
	}
	if over != within || within != 2 {
		t.Errorf("history read %d times by a deploy that trims and %d by one within the limit; want 2 each (before the lock and under it)", over, within)
	}
	run("4", 3)
	if got, want := history(t, e), "4:superseded 5:superseded 6:deployed"; got != want {
		t.Errorf("history after revision 6 with HistoryMax 3 = %q, want %q", got, want)
	}
	run("5", 1) // the revision this deploy superseded goes too
	if got, want := history(t, e), "7:deployed"; got != want {
		t.Errorf("history after revision 7 with HistoryMax 1 = %q, want %q", got, want)
	}
}

// TestNoOpWritesNoReadyCheckpoint: a deploy with nothing to prune writes its record
// twice more after the pending one: deployed, and the previous revision superseded. The
// Ready checkpoint (which makes the next deploy complete an interrupted revision rather
// than undo it) comes first only when a prune follows it (see TestRecordWriteFailsAtEachStep),
// or when the deployed write fails: a revision that applied objects is then recorded
// ready and the next deploy completes it, while an interrupted no-op (pending, no
// checkpoint) is rolled back without changing anything.
func TestNoOpWritesNoReadyCheckpoint(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, v1())
	var writes []string
	failDeployed := 0 // the revision whose deployed write fails
	e.Store.UpdateFunc = func(_ context.Context, r *release.Revision) error {
		w := fmt.Sprintf("%d:%s", r.Number, r.Status)
		if r.Progress != nil && r.Progress.Ready && r.Status == release.StatusPending {
			w += "+ready"
		}
		if r.Number == failDeployed && r.Status == release.StatusDeployed {
			writes = append(writes, w+"(fails)")
			return errors.New("etcdserver: request timed out")
		}
		writes = append(writes, w)
		return nil
	}
	run := func(value string) error {
		t.Helper()
		writes = nil
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{Release: rel, Namespace: ns,
			Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", value), deploytest.ConfigMap("b", "1")}})
		return err
	}
	check := func(what, want string) {
		t.Helper()
		if got := strings.Join(writes, " "); got != want {
			t.Errorf("%s wrote its records as %q, want %q", what, got, want)
		}
	}
	if err := run("2"); err != nil {
		t.Fatal(err)
	}
	check("an upgrade applying a changed object (adopting none)", "2:deployed 1:superseded")
	if err := run("2"); err != nil {
		t.Fatal(err)
	}
	check("a no-op", "3:deployed 2:superseded")

	// An interrupted no-op: revision 4 is left pending without checkpoints and undone.
	failDeployed = 4
	if err := run("2"); err == nil || !strings.Contains(err.Error(), "the next deploy of web rolls it back") {
		t.Fatalf("the no-op whose deployed write fails: err %v, want one saying the next deploy rolls it back", err)
	}
	check("a no-op whose deployed write fails", "4:deployed(fails)")
	failDeployed = 0
	if err := run("2"); err != nil {
		t.Fatal(err)
	}
	if got, want := history(t, e), "1:superseded 2:superseded 3:superseded 4:rolled-back 5:deployed"; got != want {
		t.Errorf("history after recovering an interrupted no-op = %q, want %q", got, want)
	}

	// An upgrade whose deployed write fails is recorded ready, then completed.
	failDeployed = 6
	if err := run("3"); err == nil || !strings.Contains(err.Error(), "records it as deployed (its progress says ready)") {
		t.Fatalf("the upgrade whose deployed write fails: err %v, want one saying the next deploy records it as deployed", err)
	}
	check("an upgrade whose deployed write fails", "6:deployed(fails) 6:pending+ready")
	failDeployed = 0
	if err := run("3"); err != nil {
		t.Fatal(err)
	}
	if got, want := history(t, e), "1:superseded 2:superseded 3:superseded 4:rolled-back 5:superseded 6:superseded 7:deployed"; got != want {
		t.Errorf("history after completing an upgrade whose deployed write failed = %q, want %q", got, want)
	}
	if got, want := live(e), "a=3 b=1"; got != want {
		t.Errorf("live objects = %q, want %q", got, want)
	}
}

// TestNamespaceReadOnlyWithoutRecords: the release namespace is read (does it exist?)
// only when the release has no records yet; records in it prove it exists.
func TestNamespaceReadOnlyWithoutRecords(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	var reads atomic.Int32
	e.Cluster.GetFunc = func(_ context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
		if gvk.Kind == "Namespace" {
			reads.Add(1)
			return deploytest.Object("v1", "Namespace", "", name, nil), nil
		}
		return e.Cluster.Live(manifest.Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: namespace, Name: name}), nil
	}
	for i, want := range []int32{1, 0} {
		reads.Store(0)
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", fmt.Sprint(i))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := reads.Load(); got != want {
			t.Errorf("deploy %d read the namespace %d times, want %d", i+1, got, want)
		}
	}
}

// TestClusterListedOnceUnderAnUnchangedHistory: the objects listed before the lock
// (prepare) serve the pending record too when the history read under the lock is the
// one read before it (no deploy of the release wrote meanwhile): a deploy lists the
// cluster once. When the history changed, the cluster is listed again under the lock,
// and the record says what that list found.
func TestClusterListedOnceUnderAnUnchangedHistory(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, []*release.Revision{{Number: 1, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a", "1")}}})
	run := func(objs ...*unstructured.Unstructured) {
		t.Helper()
		if _, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{Release: rel, Namespace: ns, Objects: objs}); err != nil {
			t.Fatal(err)
		}
	}
	run(deploytest.ConfigMap("a", "1"))
	if n := e.Cluster.Listed(); n != 1 {
		t.Errorf("a deploy under an unchanged history listed the cluster %d times, want 1", n)
	}

	// Another deploy of the release creates b and records it between this deploy's
	// first read and its lock.
	var once sync.Once
	e.Locker.AcquireFunc = func(ctx context.Context, _, _ string, _ time.Duration) (deploy.Lock, error) {
		once.Do(func() {
			e.Cluster.Put(cm("b", "1"))
			err := e.Store.Store.Create(ctx, &release.Revision{Release: rel, Namespace: ns, Number: 3,
				Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a", "1"), cm("b", "1")}})
			if err != nil {
				t.Error(err)
			}
		})
		return deploytest.NewLock(), nil
	}
	before := e.Cluster.Listed()
	run(deploytest.ConfigMap("a", "1"), deploytest.ConfigMap("b", "1"))
	if n := e.Cluster.Listed() - before; n != 2 {
		t.Errorf("a deploy whose history changed before its lock listed the cluster %d times, want 2 (again under the lock)", n)
	}
	rev, err := e.Store.Store.Get(context.Background(), rel, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Created) > 0 {
		t.Errorf("revision 4 records it created %v, which the other deploy had created before its lock", rev.Created)
	}
}
