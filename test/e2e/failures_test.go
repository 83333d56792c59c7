package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// failingPod renders a Deployment whose pod fails in the way spec says (extra container
// fields, or pod fields).
func failingPod(image, container, pod string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      terminationGracePeriodSeconds: 1
%s      containers:
      - name: app
        image: %s
        imagePullPolicy: Never
        env: [{name: VERSION, value: v1}]
%s`, pod, image, container)
}

// jsonEvent is the part of a `deploy -o json` line the tests read
// (docs/schema/v1/events.schema.json).
type jsonEvent struct {
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Phase   string    `json:"phase"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	Source  string    `json:"source"`
}

// TestFailuresAreReportedFast deploys one release per failure kind and checks that
// shipsafe fails it with the right reason, shows the evidence (the container's log line
// where there is one), rolls back (a first install: removes everything), and gives its
// verdict within 15 s of the pod showing the problem.
func TestFailuresAreReportedFast(t *testing.T) {
	t.Parallel()
	e := setup(t)
	crash, badprobe, naive := e.image(t, "crash", "v1"), e.image(t, "badprobe", "v1"), e.image(t, "naive", "v1")
	cases := []struct {
		name     string
		manifest string
		reason   string
		evidence string // a line the output must show ("" = none required)
	}{
		{"crash loop", failingPod(crash, "", ""), "CrashLoopBackOff", "fatal: cannot start"},
		{"readiness never passes", failingPod(badprobe, `        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1, failureThreshold: 3}
`, ""), "ReadinessProbeFailing", "answering 503"},
		{"image missing", failingPod("local.test/does-not-exist:v0", "", ""), "ErrImageNeverPull", ""},
		{"secret missing", failingPod(naive, `        envFrom: [{secretRef: {name: no-such-secret}}]
`, ""), "CreateContainerConfigError", "no-such-secret"},
		{"unschedulable", failingPod(naive, `        resources: {requests: {cpu: "1000"}}
`, ""), "Unschedulable", "Insufficient cpu"},
		{"job fails", fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: %s
        imagePullPolicy: Never
`, crash), "BackoffLimitExceeded", "fatal: cannot start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := clustertest.Namespace(t, e.client)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			report := filepath.Join(t.TempDir(), "report.json")
			res := e.shipsafe(t, ctx, "-n", ns, "deploy", "rel", "-f", writeManifest(t, tc.manifest), "-o", "json",
				"--report", report,
				// Short graces: the test measures detection, not the chosen grace.
				"--ready-grace", "2s", "--unschedulable-grace", "3s")
			wantExit(t, res, 1)
			wantSchemaValid(t, e, res.stdout, report, "rolled-back")
			var failedAt time.Time
			var out strings.Builder
			sc := bufio.NewScanner(strings.NewReader(res.stdout))
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var ev jsonEvent
				if json.Unmarshal(sc.Bytes(), &ev) != nil {
					continue
				}
				switch ev.Type {
				case "status", "event", "log":
					fmt.Fprintf(&out, "%s %s %s\n", ev.Reason, ev.Message, ev.Source)
					if ev.Type == "status" && ev.Phase == "Failed" && failedAt.IsZero() {
						failedAt = ev.Time
					}
				}
			}
			if failedAt.IsZero() {
				t.Fatalf("no Failed status in the event stream:\n%s", res.stdout)
			}
			wantContains(t, "events", out.String(), tc.reason)
			if tc.evidence != "" {
				wantContains(t, "evidence", out.String(), tc.evidence)
			}
			// The record keeps the reason; a failed first install leaves nothing behind.
			revs := e.history(t, ctx, ns, "rel")
			if len(revs) != 1 || !strings.Contains(revs[0].Reason, tc.reason) {
				t.Errorf("history = %+v, want one revision whose reason names %s", revs, tc.reason)
			}
			e.wantManaged(t, ctx, ns, "rel")
			// Verdict latency, from when the cluster first showed the problem.
			shown := problemShownAt(t, e, ns, start)
			if lag := failedAt.Sub(shown); lag > 15*time.Second {
				t.Errorf("verdict %s after the cluster showed the problem (want under 15s)", lag.Round(time.Millisecond))
			} else {
				t.Logf("verdict %s after the cluster showed the problem", lag.Round(time.Millisecond))
			}
		})
	}
}

// problemShownAt returns when the cluster first showed trouble: the earliest Warning
// event recorded in ns after start (events outlive the pods the rollback deleted), or
// start itself when there is none (a problem visible as soon as the pod exists).
func problemShownAt(t *testing.T, e *env, ns string, start time.Time) time.Time {
	t.Helper()
	evs, err := e.client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var shown time.Time
	for _, ev := range evs.Items {
		at := ev.FirstTimestamp.Time
		if at.IsZero() {
			at = ev.EventTime.Time
		}
		// Event times have whole seconds: compare with start truncated likewise.
		if ev.Type != corev1.EventTypeWarning || at.Before(start.Truncate(time.Second)) {
			continue
		}
		if shown.IsZero() || at.Before(shown) {
			shown = at
		}
	}
	if shown.IsZero() {
		return start
	}
	return shown
}

// TestUnschedulableWaitsForNodeAutoscaler deploys a pod no node can take, while posting
// the event cluster-autoscaler posts when it adds a node for the pod (TriggeredScaleUp):
// the deploy waits for the node instead of failing after the unschedulable grace, so it
// ends at its timeout, saying it was waiting for a new node.
func TestUnschedulableWaitsForNodeAutoscaler(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "v1")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The autoscaler's part: once the pod is unschedulable, say a node is coming for it.
	posted := make(chan error, 1)
	go func() { posted <- postScaleUpEvent(ctx, e, ns, "app=app") }()
	res := e.shipsafe(t, ctx, "-n", ns, "deploy", "rel", "-f", writeManifest(t, failingPod(naive, "", `      nodeSelector: {pool: gpu}
`)), "--unschedulable-grace", "3s", "--timeout", "20s")
	if err := <-posted; err != nil {
		t.Fatalf("post the scale-up event: %v", err)
	}
	wantExit(t, res, 1)
	wantContains(t, "deploy output", res.stdout+res.stderr, "waiting for a new node: pod triggered scale-up", "timed out")
	if strings.Contains(res.stdout+res.stderr, "unschedulable for") {
		t.Errorf("the pod was failed as unschedulable while the autoscaler was adding a node:\n%s\n%s", res.stdout, res.stderr)
	}
}

// postScaleUpEvent waits for an unschedulable pod matching selector and posts, as
// cluster-autoscaler does, a Normal TriggeredScaleUp event about it.
func postScaleUpEvent(ctx context.Context, e *env, ns, selector string) error {
	for {
		pods, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type != corev1.PodScheduled || c.Reason != corev1.PodReasonUnschedulable {
					continue
				}
				_, err := e.client.CoreV1().Events(ns).Create(ctx, &corev1.Event{
					ObjectMeta:     metav1.ObjectMeta{GenerateName: p.Name + "."},
					InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name, UID: p.UID, APIVersion: "v1"},
					Reason:         "TriggeredScaleUp",
					Message:        "pod triggered scale-up: [{pool-gpu 0->1 (max: 3)}]",
					Type:           corev1.EventTypeNormal,
					Source:         corev1.EventSource{Component: "cluster-autoscaler"},
					FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
				}, metav1.CreateOptions{})
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
