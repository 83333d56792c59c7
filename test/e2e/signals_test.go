package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestSIGTERM cancels a deploy the way a CI job is cancelled, at three points of an
// upgrade. Each time the process exits 1 (the cluster is at the last deployed
// revision), the release is consistent (no pending revision, no lock), and the next
// deploy succeeds without any manual step.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")

	base := func(version string) []string {
		return []string{
			workload{Name: "web", Image: naive, Version: version, Replicas: 2, Service: true}.yaml(),
			configMap("web-config", map[string]string{"color": "blue"}),
		}
	}
	tests := []struct {
		name string
		// upgrade is what the interrupted revision deploys.
		upgrade []string
		// signalAfter is the stdout line after which SIGTERM is sent.
		signalAfter string
		// created names objects only the interrupted revision has; they must be gone.
		created [][2]string
		// wantStdout proves where the signal landed.
		wantStdout string
		// recorded says revision 2 was recorded (the signal came after validation).
		recorded bool
	}{
		{
			name:        "before apply",
			upgrade:     base("v2"),
			signalAfter: "validating",
			wantStdout:  "FAILED: interrupted (signal or cancelled) while preparing the deploy",
		},
		{
			name:        "mid apply",
			upgrade:     append(base("v2"), configMaps("bulk", 200)...),
			signalAfter: "applied ",
			created:     [][2]string{{"ConfigMap", "bulk-000"}, {"ConfigMap", "bulk-100"}, {"ConfigMap", "bulk-199"}},
			wantStdout:  "revision 2 failed: interrupted (signal or cancelled) while apply",
			recorded:    true,
		},
		{
			name: "while waiting",
			upgrade: []string{
				workload{Name: "web", Image: slow, Version: "v2", Replicas: 2, Service: true, ReadyAfter: 60}.yaml(),
				configMap("web-config", map[string]string{"color": "blue"}),
				configMap("feature-flags", map[string]string{"new": "on"}),
			},
			signalAfter: "Progressing apps/Deployment",
			created:     [][2]string{{"ConfigMap", "feature-flags"}},
			wantStdout:  "revision 2 failed: interrupted (signal or cancelled) while waiting for",
			recorded:    true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := clustertest.Namespace(t, e.client)
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			wantExit(t, e.deployWeb(t, ctx, ns, base("v1")...), 0)

			p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t, tc.upgrade...))
			p.waitLine(tc.signalAfter, time.Minute)
			p.signal(syscall.SIGTERM)
			r := p.wait(2 * time.Minute)
			wantExit(t, r, 1)
			wantContains(t, "interrupted deploy output", r.stdout, tc.wantStdout)

			st := e.wantConsistent(t, ctx, ns, "web")
			if st.Deployed == nil || st.Deployed.Revision != 1 {
				t.Errorf("status: deployed = %+v, want revision 1", st.Deployed)
			}
			switch l := st.Latest; {
			case !tc.recorded:
				if l == nil || l.Revision != 1 {
					t.Errorf("status: latest = %+v, want revision 1 (nothing recorded before validation ended)", l)
				}
			case l == nil || l.Revision != 2 || l.Status != "rolled-back" || l.RolledBackTo != 1:
				t.Errorf("status: latest = %+v, want revision 2 rolled-back to 1", l)
			default:
				wantContains(t, "revision 2 reason", l.Reason, "interrupted")
			}
			for _, o := range tc.created {
				if e.exists(t, ctx, ns, o[0], o[1]) {
					t.Errorf("%s %s, created by the interrupted revision, still exists", o[0], o[1])
				}
			}
			e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config")
			e.serves(t, ctx, ns, "web", "v1")

			next := append(base("v3"), configMap("after", map[string]string{"ok": "yes"}))
			r = e.deployWeb(t, ctx, ns, next...)
			wantExit(t, r, 0)
			e.serves(t, ctx, ns, "web", "v3")
			e.wantConsistent(t, ctx, ns, "web")
		})
	}
}

// TestSIGTERMDuringFirstInstall cancels a first install while it waits: with no
// revision to go back to, the objects it created are removed, the revision is recorded
// as final (not pending), and the next install succeeds.
func TestSIGTERMDuringFirstInstall(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		workload{Name: "web", Image: slow, Version: "v1", Replicas: 2, Service: true, ReadyAfter: 60}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	))
	p.waitLine("Progressing apps/Deployment", time.Minute)
	p.signal(syscall.SIGTERM)
	r := p.wait(2 * time.Minute)
	wantExit(t, r, 1)
	wantContains(t, "interrupted install output", r.stdout, "first install failed: removing the objects it created")
	e.wantManaged(t, ctx, ns, "web")
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed != nil || st.Latest == nil || st.Latest.Revision != 1 {
		t.Fatalf("status: deployed %+v, latest %+v; want none deployed, revision 1 latest", st.Deployed, st.Latest)
	}
	wantContains(t, "revision 1 reason", st.Latest.Reason, "interrupted")

	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v2", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	), 0)
	e.serves(t, ctx, ns, "web", "v2")
}

// TestSecondSIGTERMStopsRollbackWait sends a second SIGTERM while the automatic rollback
// waits for the restored pods: the process ends at once, still records the revision (not
// pending), releases the lock, and reports that the release was not restored (exit 3).
func TestSecondSIGTERMStopsRollbackWait(t *testing.T) {
	t.Parallel()
	e := setup(t)
	slow := e.image(t, "slowstart", "e2e")
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Recreate with a slow app: the rollback has to wait ~10s for new pods of revision 1.
	v1 := workload{Name: "web", Image: slow, Version: "v1", Replicas: 1, ReadyAfter: 10, Recreate: true}
	wantExit(t, e.deployWeb(t, ctx, ns, v1.yaml()), 0)

	v2 := workload{Name: "web", Image: slow, Version: "v2", Replicas: 1, ReadyAfter: 60, Recreate: true}
	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t, v2.yaml()))
	p.waitLine("waiting for", time.Minute)
	// Let the Recreate rollout replace revision 1's pod, so that the rollback must start
	// a new one and wait for it.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 1 && d.Status.ReadyReplicas == 0, nil
	})
	if err != nil {
		t.Fatalf("revision 2's pod never replaced revision 1's: %v", err)
	}
	p.signal(syscall.SIGTERM)
	p.waitLine("rolling back to revision 1", time.Minute)
	time.Sleep(2 * time.Second) // into the wait for revision 1's new pods
	p.signal(syscall.SIGTERM)
	second := time.Now()
	r := p.wait(time.Minute)
	if d := time.Since(second); d > 5*time.Second {
		t.Errorf("process took %s to end after the second signal", d)
	}
	wantExit(t, r, 3)
	wantContains(t, "error", r.stderr, "NOT restored")

	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "failed" {
		t.Fatalf("status: latest = %+v, want revision 2 failed", st.Latest)
	}
	wantContains(t, "revision 2 reason", st.Latest.Reason, "interrupted", "restore failed", "a second signal stopped the wait")

	// Not stuck: the next deploy goes through.
	v3 := workload{Name: "web", Image: naive, Version: "v3", Replicas: 1, Recreate: true}
	wantExit(t, e.deployWeb(t, ctx, ns, v3.yaml()), 0)
	e.serves(t, ctx, ns, "web", "v3")
}

// TestSIGKILLRecovers kills a deploy while it waits for a slow upgrade: the lock and a
// pending revision stay behind. The next deploy waits out the lock's TTL, finds the
// interrupted revision, undoes it (deleting the objects it created) and proceeds.
func TestSIGKILLRecovers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	v1 := writeManifest(t,
		workload{Name: "web", Image: naive, Version: "v1", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1), 0)

	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		workload{Name: "web", Image: slow, Version: "v2", Replicas: 2, Service: true, ReadyAfter: 60}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
		workload{Name: "worker", Image: naive, Version: "v2"}.yaml(),
		configMap("worker-config", map[string]string{"queue": "jobs"}),
	))
	p.waitLine("waiting for", time.Minute)
	p.signal(syscall.SIGKILL)
	p.wait(30 * time.Second)
	killed := time.Now()

	// The kill left its traces: a pending revision 2 and the lock.
	if _, err := e.client.CoordinationV1().Leases(ns).Get(ctx, "shipsafe-web", metav1.GetOptions{}); err != nil {
		t.Fatalf("the killed deploy's lock: %v", err)
	}
	st := e.status(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "pending" {
		t.Fatalf("after SIGKILL: latest = %+v, want revision 2 pending", st.Latest)
	}
	if !e.exists(t, ctx, ns, "Deployment", "worker") {
		t.Fatal("the killed revision had not created Deployment worker; the test kills too early")
	}

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1, "--lock-wait", "40s")
	wantExit(t, r, 0)
	if d := time.Since(killed); d < 5*time.Second {
		t.Errorf("the next deploy ran %s after the kill, before the lock's TTL could pass", d)
	}
	wantContains(t, "recovering deploy output", r.stdout,
		"revision 2 was left pending", "rolling back to revision 1", "recovered interrupted revision 2")
	for _, o := range [][2]string{{"Deployment", "worker"}, {"ConfigMap", "worker-config"}} {
		if e.exists(t, ctx, ns, o[0], o[1]) {
			t.Errorf("%s %s, created by the killed revision, still exists", o[0], o[1])
		}
	}
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config")
	e.serves(t, ctx, ns, "web", "v1")
	revs := e.history(t, ctx, ns, "web")
	if got := statuses(revs); got != "1:superseded 2:rolled-back 3:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:rolled-back 3:deployed", got)
	}
	wantContains(t, "revision 2 reason", revisionOf(t, revs, 2).Reason, "interrupted")
	e.wantConsistent(t, ctx, ns, "web")
}

// TestConcurrentDeploys starts a second deploy of a release while a first one is
// waiting for a slow app: exactly one proceeds; the other exits 4 naming the holder and
// writes nothing. A third one told to wait (--lock-wait) runs after the first finishes.
func TestConcurrentDeploys(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	first := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		workload{Name: "web", Image: slow, Version: "v1", Replicas: 1, ReadyAfter: 8}.yaml()))
	first.waitLine("waiting for", time.Minute)

	other := writeManifest(t, workload{Name: "web", Image: naive, Version: "v2", Replicas: 1}.yaml())
	waiter := e.start(t, "-n", ns, "deploy", "web", "-f", other, "--lock-wait", "2m")
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", other)
	wantExit(t, r, 4)
	wantContains(t, "locked error", r.stderr, `release "web" is locked by`, fmt.Sprintf("pid %d", first.pid()), "--lock-wait")

	wantExit(t, first.wait(2*time.Minute), 0)
	w := waiter.wait(2 * time.Minute)
	wantExit(t, w, 0)
	wantContains(t, "waiting deploy output", w.stdout, `release "web" revision 2 deployed`)
	// Revision 1 is the first deploy's, revision 2 the waiter's: the refused one wrote
	// no record.
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:deployed", got)
	}
	e.serves(t, ctx, ns, "web", "v2")
	e.wantNoLease(t, ctx, ns, "web")
}
