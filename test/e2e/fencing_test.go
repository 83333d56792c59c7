package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestPausedDeployChangesNothingAfterTakeover freezes a deploy (SIGSTOP) while it waits
// for a slow revision 2, past its lock's TTL. A second deploy takes the lock over,
// recovers revision 2 and deploys revision 3. The first, resumed (SIGCONT), finds its
// lock lost and exits 5 without writing anything: status, history and the live objects
// agree with the second deploy.
func TestPausedDeployChangesNothingAfterTakeover(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	web := func(img, version string, readyAfter int) string {
		return workload{Name: "web", Image: img, Version: version, Replicas: 1, Service: true, ReadyAfter: readyAfter}.yaml()
	}

	wantExit(t, e.deployWeb(t, ctx, ns, web(naive, "v1", 0)), 0)

	first := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		web(slow, "v2", 40), configMap("only-in-v2", map[string]string{"a": "b"})))
	first.waitLine("waiting for", time.Minute)
	first.signal(syscall.SIGSTOP)
	stopped := true
	defer func() {
		if stopped {
			first.signal(syscall.SIGCONT)
		}
	}()

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--lock-wait", "90s", "-f", writeManifest(t, web(naive, "v3", 0)))
	wantExit(t, r, 0)
	wantContains(t, "second deploy output", r.stdout, "revision 2 was left pending", `release "web" revision 3 deployed`)

	first.signal(syscall.SIGCONT)
	stopped = false
	res := first.wait(time.Minute)
	wantExit(t, res, 5)
	wantContains(t, "first deploy error", res.stderr, "lost the lock of release", "stopped writing")
	if strings.Contains(res.stdout, "rolling back") {
		t.Errorf("the resumed deploy started a rollback:\n%s", res.stdout)
	}

	// Everything agrees with the second deploy.
	revs := e.history(t, ctx, ns, "web")
	if got := statuses(revs); got != "1:superseded 2:rolled-back 3:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:rolled-back 3:deployed", got)
	}
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 3 {
		t.Errorf("status: deployed = %+v, want revision 3", st.Deployed)
	}
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web")
	dep, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	must(t, err)
	if env := dep.Spec.Template.Spec.Containers[0].Env; len(env) == 0 || env[0].Value != "v3" || dep.Spec.Template.Spec.Containers[0].Image != naive {
		t.Errorf("Deployment web runs %s %v, want %s v3", dep.Spec.Template.Spec.Containers[0].Image, env, naive)
	}
	e.serves(t, ctx, ns, "web", "v3")
	e.wantNoLease(t, ctx, ns, "web")
}
