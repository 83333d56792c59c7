package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestSIGHUPRollsBack hangs up on a deploy while it waits (a closed terminal or SSH
// session, or a CI template forwarding SIGHUP): it is a cancellation like SIGTERM, so the
// deploy rolls back and exits 1 with the release consistent, instead of dying with the
// revision pending.
func TestSIGHUPRollsBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	wantExit(t, e.deployWeb(t, ctx, ns, workload{Name: "web", Image: naive, Version: "v1", Replicas: 1, Service: true}.yaml()), 0)
	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		workload{Name: "web", Image: slow, Version: "v2", Replicas: 1, ReadyAfter: 120, Service: true}.yaml()))
	p.waitLine("waiting for", time.Minute)
	p.signal(syscall.SIGHUP)
	r := p.wait(2 * time.Minute)
	wantExit(t, r, 1)
	wantContains(t, "output", r.stdout, "rolled back to revision 1")

	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "rolled-back" {
		t.Fatalf("status: latest = %+v, want revision 2 rolled-back", st.Latest)
	}
	e.serves(t, ctx, ns, "web", "v1")
}
