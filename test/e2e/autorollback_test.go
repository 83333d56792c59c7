package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestFailedUpgradeRollsBack deploys an upgrade whose app crashes and which also adds a
// Deployment and a ConfigMap: the deploy exits 1, both new objects are gone, the old
// version serves, and history records why with the crash's own log line.
func TestFailedUpgradeRollsBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	v1 := writeManifest(t,
		workload{Name: "web", Image: naive, Version: "v1", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	broken := writeManifest(t,
		workload{Name: "web", Image: crash, Version: "v2", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
		workload{Name: "worker", Image: naive, Version: "v2"}.yaml(),
		configMap("worker-config", map[string]string{"queue": "jobs"}),
	)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1), 0)

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", broken)
	wantExit(t, r, 1)
	wantContains(t, "failed upgrade output", r.stdout, "rolling back to revision 1", "CrashLoopBackOff")
	wantContains(t, "failed upgrade error", r.stderr, "rolled back to revision 1")

	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config")
	for _, o := range [][2]string{{"Deployment", "worker"}, {"ConfigMap", "worker-config"}} {
		if e.exists(t, ctx, ns, o[0], o[1]) {
			t.Errorf("%s %s, created by the failed revision, still exists", o[0], o[1])
		}
	}
	e.serves(t, ctx, ns, "web", "v1")

	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 1 {
		t.Errorf("status: deployed = %+v, want revision 1", st.Deployed)
	}
	failed := revisionOf(t, e.history(t, ctx, ns, "web"), 2)
	if failed.Status != "rolled-back" || failed.RolledBackTo != 1 {
		t.Errorf("revision 2: status %s, rolledBackTo %d; want rolled-back to 1", failed.Status, failed.RolledBackTo)
	}
	wantContains(t, "revision 2 reason", failed.Reason, "CrashLoopBackOff", "Deployment "+ns+"/web")
	wantContains(t, "revision 2 evidence", strings.Join(failed.Evidence, "\n"),
		"fatal: cannot start version v2: required setting DATABASE_URL is empty")

	// The release is not stuck: a correct upgrade goes through.
	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v3", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	), 0)
	e.serves(t, ctx, ns, "web", "v3")
}

// TestFailedFirstInstallLeavesNothing installs a crashing app as the first revision: the
// deploy exits 1, removes everything it created, and the next correct deploy succeeds.
func TestFailedFirstInstallLeavesNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	r := e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: crash, Version: "v1", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	wantExit(t, r, 1)
	wantContains(t, "failed install output", r.stdout, "first install failed: removing the objects it created")
	e.wantManaged(t, ctx, ns, "web")
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed != nil {
		t.Errorf("status: deployed = %+v after a failed first install, want none", st.Deployed)
	}
	if st.Latest == nil || st.Latest.Revision != 1 || st.Latest.Status != "failed" {
		t.Errorf("status: latest = %+v, want revision 1 failed", st.Latest)
	} else {
		wantContains(t, "revision 1 reason", st.Latest.Reason, "CrashLoopBackOff")
	}

	r = e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v2", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	wantExit(t, r, 0)
	wantContains(t, "second install output", r.stdout, "revision 2 (install)")
	e.serves(t, ctx, ns, "web", "v2")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:failed 2:deployed" {
		t.Errorf("history: %s, want 1:failed 2:deployed", got)
	}
}

// TestRollbackNeverThenLastGood leaves a failed upgrade in place with --rollback=never
// (exit 3), then fails another upgrade with automatic rollback: it goes back to the last
// *deployed* revision, not to the broken previous one. diff names, and the next good
// deploy removes, what the abandoned revision created.
func TestRollbackNeverThenLastGood(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	config := configMap("web-config", map[string]string{"color": "blue"})

	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v1", Replicas: 2, Service: true}.yaml(), config), 0)

	// Revision 2 fails and stays for debugging, with the ConfigMap it created.
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--rollback", "never", "-f", writeManifest(t,
		workload{Name: "web", Image: crash, Version: "v2", Replicas: 2, Service: true}.yaml(), config,
		configMap("debug-me", map[string]string{"trace": "on"})))
	wantExit(t, r, 3)
	wantContains(t, "rollback=never error", r.stderr, "left as it is (--rollback=never)", "shipsafe rollback web")
	if !e.exists(t, ctx, ns, "ConfigMap", "debug-me") {
		t.Error("--rollback=never removed the ConfigMap the failed revision created")
	}
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 1 || st.Latest == nil || st.Latest.Status != "failed" || st.Latest.RolledBackTo != 0 {
		t.Fatalf("status: deployed %+v, latest %+v; want 1 deployed, 2 failed and not rolled back", st.Deployed, st.Latest)
	}

	// Revision 3 fails too, with automatic rollback: back to 1, the last good one.
	r = e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: crash, Version: "v3", Replicas: 2, Service: true}.yaml(), config)
	wantExit(t, r, 1)
	wantContains(t, "failed upgrade error", r.stderr, "rolled back to revision 1")
	e.serves(t, ctx, ns, "web", "v1")
	if got := revisionOf(t, e.history(t, ctx, ns, "web"), 3); got.RolledBackTo != 1 {
		t.Errorf("revision 3 rolled back to %d, want 1", got.RolledBackTo)
	}

	// diff tells beforehand, and a good deploy then prunes, what revision 2 left behind.
	good := writeManifest(t, workload{Name: "web", Image: naive, Version: "v4", Replicas: 2, Service: true}.yaml(), config)
	r = e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-f", good)
	wantExit(t, r, 1)
	wantContains(t, "diff before the good deploy", r.stdout, "- prune  ConfigMap "+ns+"/debug-me", "1 to prune")
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", good)
	wantExit(t, r, 0)
	wantContains(t, "good deploy output", r.stdout, "pruned   ConfigMap "+ns+"/debug-me")
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config")
	e.serves(t, ctx, ns, "web", "v4")
}

// TestUninstallAfterRollbackNever uninstalls a release whose latest revision failed and
// was left in place: the objects only that revision created go too.
func TestUninstallAfterRollbackNever(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v1"}.yaml()), 0)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--rollback", "never", "-f", writeManifest(t,
		workload{Name: "web", Image: crash, Version: "v2"}.yaml(),
		workload{Name: "sidecar", Image: crash, Version: "v2"}.yaml())), 3)
	if !e.exists(t, ctx, ns, "Deployment", "sidecar") {
		t.Fatal("--rollback=never removed the Deployment the failed revision created")
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "uninstall", "web"), 0)
	e.wantManaged(t, ctx, ns, "web")
}

// TestTimeoutRollsBack gives an upgrade less time than its app needs to become ready:
// at --timeout the deploy rolls back, says it timed out, and the old version serves.
func TestTimeoutRollsBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: naive, Version: "v1", Replicas: 2, Service: true}.yaml()), 0)
	start := time.Now()
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--timeout", "5s", "-f", writeManifest(t,
		workload{Name: "web", Image: slow, Version: "v2", Replicas: 2, Service: true, ReadyAfter: 60}.yaml()))
	wantExit(t, r, 1)
	if d := time.Since(start); d > 45*time.Second {
		t.Errorf("a deploy with --timeout 5s took %s", d)
	}
	wantContains(t, "timed out error", r.stderr, "rolled back to revision 1", "timed out after 5s")
	e.serves(t, ctx, ns, "web", "v1")
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.RolledBackTo != 1 {
		t.Errorf("status: latest = %+v, want revision 2 rolled back to 1", st.Latest)
	}
}
