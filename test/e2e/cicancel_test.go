package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// cancelSequence is how a CI runner cancels a job's step; send delivers it to p (a
// step's shell, leading its own process group) and returns the last signal it sent.
type cancelSequence struct {
	name string
	send func(t *testing.T, p *proc) string
}

// ciCancelSequences are the cancel sequences of the CI systems shipsafe runs in.
var ciCancelSequences = []cancelSequence{
	{"GitHub", func(t *testing.T, p *proc) string {
		// SIGINT to the step's shell; SIGTERM 7.5 s later; SIGKILL of the tree 2.5 s after.
		p.signal(syscall.SIGINT)
		if p.exitedWithin(7500 * time.Millisecond) {
			return "SIGINT"
		}
		p.signal(syscall.SIGTERM)
		if p.exitedWithin(2500 * time.Millisecond) {
			return "SIGTERM"
		}
		p.killGroup()
		return "SIGKILL"
	}},
	{"GitLab shell", func(t *testing.T, p *proc) string {
		p.killGroup()
		return "SIGKILL"
	}},
	{"SIGTERM", func(t *testing.T, p *proc) string {
		p.signal(syscall.SIGTERM)
		return "SIGTERM"
	}},
}

// cancelPhase is a step of a deploy at which a cancel lands, and how the test gets there.
type cancelPhase struct {
	name string
	// v1 is the last good revision, deployed first; v2 the interrupted one.
	v1, v2 []string
	// args are added to the interrupted deploy's command line.
	args []string
	// hold: v2 has a ConfigMap whose write a holdWebhook holds; the cancel is sent
	// while it is held. Otherwise it is sent at the first line containing at.
	hold bool
	at   string
	// created are the objects only v2 has: none may exist after the next deploy.
	created [][2]string
	// reasons: revision 2's recorded reason contains one of them.
	reasons []string
	// slowRollback: the rollback takes longer than GitHub's whole 10 s window.
	slowRollback bool
}

// heldConfigMap is a ConfigMap that a holdWebhook holds.
const heldConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  labels: {"e2e.shipsafe.io/hold": "yes"}
data: {new: "yes"}`

// TestCICancelMatrix cancels a deploy as GitHub Actions (SIGINT, +7.5 s SIGTERM, +2.5 s
// SIGKILL of the process group), GitLab's shell executor (SIGKILL of the group) and a
// plain SIGTERM do, each while applying, while waiting for the rollout and while rolling
// back, with shipsafe run by a step shell that `exec`s it and the signals sent to that
// shell. Whatever the outcome (restored, exit 1; or killed, its revision left pending),
// never exit 3; the next plain deploy of the last good version succeeds on its own,
// serves it, and history tells the truth: the interrupted revision rolled back, nothing
// pending, no lock, nothing the interrupted revision created left. A last case shows
// what a shell that does not exec shipsafe does: the signal never reaches it.
func TestCICancelMatrix(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	flags := configMap("feature-flags", map[string]string{"new": "on"})
	fast := func(version string) string {
		return workload{Name: "web", Image: naive, Version: version, Replicas: 2, Service: true}.yaml()
	}
	phases := []cancelPhase{
		{
			name: "applying", v1: []string{fast("v1")}, v2: []string{fast("v2"), heldConfigMap},
			hold: true, created: [][2]string{{"ConfigMap", "held"}}, reasons: []string{"interrupted"},
		},
		{
			name: "waiting", v1: []string{fast("v1")},
			v2: []string{workload{Name: "web", Image: slow, Version: "v2", Replicas: 2, Service: true, ReadyAfter: 120}.yaml(), flags},
			at: "Progressing apps/Deployment", created: [][2]string{{"ConfigMap", "feature-flags"}}, reasons: []string{"interrupted"},
		},
		{
			// v2 times out after 4 s; the rollback to a Recreate app ready 12 s after its
			// start cannot finish within GitHub's window.
			name: "rolling back",
			v1:   []string{workload{Name: "web", Image: slow, Version: "v1", Service: true, ReadyAfter: 12, Recreate: true}.yaml()},
			v2:   []string{workload{Name: "web", Image: slow, Version: "v2", Service: true, ReadyAfter: 120, Recreate: true}.yaml(), flags},
			args: []string{"--timeout", "4s"}, at: "rolling back to revision 1", slowRollback: true,
			created: [][2]string{{"ConfigMap", "feature-flags"}}, reasons: []string{"timed out after 4s", "interrupted"},
		},
	}
	type cancelCase struct {
		phase cancelPhase
		seq   cancelSequence
		// script runs shipsafe ("$0" "$@") in the step's shell.
		script string
	}
	const execScript = `exec "$0" "$@"`
	var cases []cancelCase
	for _, ph := range phases {
		for _, seq := range ciCancelSequences {
			cases = append(cases, cancelCase{phase: ph, seq: seq, script: execScript})
		}
	}
	// Without exec (and without forwarding) the shell gets the signals, not shipsafe.
	cases = append(cases, cancelCase{phase: phases[1], seq: ciCancelSequences[0], script: `"$0" "$@"; echo "shipsafe exited $?"`})

	for _, tc := range cases {
		name := tc.seq.name + " while " + tc.phase.name
		if tc.script != execScript {
			name += " to a shell without exec"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ph := tc.phase
			ns := clustertest.Namespace(t, e.client)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			v1 := writeManifest(t, ph.v1...)
			wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1), 0)
			var hold *holdWebhook
			if ph.hold {
				hold = e.holdConfigMapWrites(t, ctx, ns)
			}

			p := e.startInShell(t, tc.script, append([]string{"-n", ns, "deploy", "web", "-f", writeManifest(t, ph.v2...)}, ph.args...)...)
			if hold != nil {
				hold.waitHeld(t, time.Minute)
			} else {
				p.waitLine(ph.at, time.Minute)
			}
			last := tc.seq.send(t, p)
			r := p.wait(2 * time.Minute)
			if hold != nil {
				hold.release()
			}
			killed := last == "SIGKILL"
			switch {
			case tc.script != execScript:
				// The shell died of the SIGTERM; shipsafe, never told, was killed with the group.
				if !killed || strings.Contains(r.stdout, "rolling back") {
					t.Fatalf("without exec shipsafe must not see the signal and must die with the group (last signal %s)", last)
				}
			case ph.slowRollback && tc.seq.name == "GitHub" && last == "SIGINT":
				t.Fatal("the rollback ended before the SIGTERM: the SIGTERM did not land during the rollback")
			case r.code == 3:
				t.Fatalf("exit 3 (not restored) after %s: the cancel must roll back, or leave the revision to the next deploy", last)
			case r.code == 1:
				wantContains(t, "restored output", r.stdout, "rolled back to revision 1")
				st := e.wantConsistent(t, ctx, ns, "web")
				if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "rolled-back" {
					t.Fatalf("after exit 1: latest = %+v, want revision 2 rolled-back", st.Latest)
				}
				e.serves(t, ctx, ns, "web", "v1")
			case killed:
			default:
				t.Fatalf("exit %d after %s, want 1 (restored) or death by SIGKILL", r.code, last)
			}
			if killed {
				if st := e.status(t, ctx, ns, "web"); st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "pending" {
					t.Fatalf("after SIGKILL: latest = %+v, want revision 2 pending (the kill must land mid-deploy)", st.Latest)
				}
			}

			// The next plain deploy of the last good version needs no manual step.
			next := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1, "--lock-wait", "60s")
			wantExit(t, next, 0)
			if killed {
				wantContains(t, "next deploy output", next.stdout, "recovered interrupted revision 2")
			}
			revs := e.history(t, ctx, ns, "web")
			if got := statuses(revs); got != "1:superseded 2:rolled-back 3:deployed" {
				t.Errorf("history: %s, want 1:superseded 2:rolled-back 3:deployed", got)
			}
			reason := revisionOf(t, revs, 2).Reason
			if !containsAny(reason, ph.reasons) {
				t.Errorf("revision 2 reason %q, want one of %q", reason, ph.reasons)
			}
			e.wantConsistent(t, ctx, ns, "web")
			for _, o := range ph.created {
				if e.exists(t, ctx, ns, o[0], o[1]) {
					t.Errorf("%s %s, created by the interrupted revision, still exists", o[0], o[1])
				}
			}
			e.serves(t, ctx, ns, "web", "v1")
		})
	}
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
