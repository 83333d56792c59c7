package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// revision is the JSON shape of one revision in `history -o json` and `status -o json`.
type revision struct {
	Release      string   `json:"release"`
	Revision     int      `json:"revision"`
	Status       string   `json:"status"`
	Description  string   `json:"description"`
	Reason       string   `json:"reason"`
	Evidence     []string `json:"evidence"`
	RolledBackTo int      `json:"rolledBackTo"`
	Holder       string   `json:"holder"`
	Objects      []string `json:"objects"`
	Verified     *struct {
		Passed bool     `json:"passed"`
		Checks []string `json:"checks"`
	} `json:"verified"`
}

// statusView is the JSON shape of `status -o json`.
type statusView struct {
	Release  string    `json:"release"`
	Deployed *revision `json:"deployed"`
	Latest   *revision `json:"latest"`
}

// history runs `history -o json` and decodes it.
func (e *env) history(t *testing.T, ctx context.Context, ns, rel string) []revision {
	t.Helper()
	r := e.shipsafe(t, ctx, "-n", ns, "history", rel, "-o", "json")
	if r.code != 0 {
		t.Fatalf("history %s: exit %d: %s", rel, r.code, r.stderr)
	}
	var revs []revision
	if err := json.Unmarshal([]byte(r.stdout), &revs); err != nil {
		t.Fatalf("decode history: %v\n%s", err, r.stdout)
	}
	return revs
}

// status runs `status -o json` and decodes it.
func (e *env) status(t *testing.T, ctx context.Context, ns, rel string) statusView {
	t.Helper()
	r := e.shipsafe(t, ctx, "-n", ns, "status", rel, "-o", "json")
	if r.code != 0 {
		t.Fatalf("status %s: exit %d: %s", rel, r.code, r.stderr)
	}
	var st statusView
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("decode status: %v\n%s", err, r.stdout)
	}
	return st
}

// revisionOf returns revision n of revs, failing the test when it is missing.
func revisionOf(t *testing.T, revs []revision, n int) revision {
	t.Helper()
	for _, r := range revs {
		if r.Revision == n {
			return r
		}
	}
	t.Fatalf("revision %d not in history %+v", n, revs)
	return revision{}
}

// statuses renders revs as "1:superseded 2:deployed" for messages and comparisons.
func statuses(revs []revision) string {
	var parts []string
	for _, r := range revs {
		parts = append(parts, fmt.Sprintf("%d:%s", r.Revision, r.Status))
	}
	return strings.Join(parts, " ")
}

// wantConsistent checks what every interrupted deploy must leave: no pending revision,
// the latest revision final, and the release lock released.
func (e *env) wantConsistent(t *testing.T, ctx context.Context, ns, rel string) statusView {
	t.Helper()
	st := e.status(t, ctx, ns, rel)
	for _, r := range e.history(t, ctx, ns, rel) {
		if r.Status == "pending" {
			t.Errorf("revision %d is still pending after the deploy ended", r.Revision)
		}
	}
	e.wantNoLease(t, ctx, ns, rel)
	return st
}

// wantNoLease checks that the release lock Lease does not exist.
func (e *env) wantNoLease(t *testing.T, ctx context.Context, ns, rel string) {
	t.Helper()
	lease, err := e.client.CoordinationV1().Leases(ns).Get(ctx, "shipsafe-"+rel, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Fatalf("get lease: %v", err)
	default:
		holder := ""
		if lease.Spec.HolderIdentity != nil {
			holder = *lease.Spec.HolderIdentity
		}
		t.Errorf("lock Lease shipsafe-%s still exists (holder %q)", rel, holder)
	}
}

// records returns the names of the release record Secrets in ns.
func (e *env) records(t *testing.T, ctx context.Context, ns string) []string {
	t.Helper()
	list, err := e.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=shipsafe.io/release.v1"})
	if err != nil {
		t.Fatalf("list record secrets: %v", err)
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

// managed returns "Kind/name" of the Deployments, ConfigMaps and Services labelled with
// release rel in ns, ignoring those being deleted.
func (e *env) managed(t *testing.T, ctx context.Context, ns, rel string) []string {
	t.Helper()
	opts := metav1.ListOptions{LabelSelector: "shipsafe.io/release=" + rel}
	var out []string
	deps, err := e.client.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil {
		t.Fatalf("list deployments: %v", err)
	}
	for _, o := range deps.Items {
		if o.DeletionTimestamp == nil {
			out = append(out, "Deployment/"+o.Name)
		}
	}
	cms, err := e.client.CoreV1().ConfigMaps(ns).List(ctx, opts)
	if err != nil {
		t.Fatalf("list configmaps: %v", err)
	}
	for _, o := range cms.Items {
		if o.DeletionTimestamp == nil {
			out = append(out, "ConfigMap/"+o.Name)
		}
	}
	svcs, err := e.client.CoreV1().Services(ns).List(ctx, opts)
	if err != nil {
		t.Fatalf("list services: %v", err)
	}
	for _, o := range svcs.Items {
		if o.DeletionTimestamp == nil {
			out = append(out, "Service/"+o.Name)
		}
	}
	sort.Strings(out)
	return out
}

// wantManaged checks that exactly want (as "Kind/name") are labelled with release rel.
func (e *env) wantManaged(t *testing.T, ctx context.Context, ns, rel string, want ...string) {
	t.Helper()
	sort.Strings(want)
	got := e.managed(t, ctx, ns, rel)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("objects of release %s: got %v, want %v", rel, got, want)
	}
}

// exists reports whether the ConfigMap or Deployment kind/name exists in ns.
func (e *env) exists(t *testing.T, ctx context.Context, ns, kind, name string) bool {
	t.Helper()
	var err error
	switch kind {
	case "ConfigMap":
		_, err = e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	case "Deployment":
		_, err = e.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	case "Service":
		_, err = e.client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	default:
		t.Fatalf("exists: kind %s not supported", kind)
	}
	switch {
	case apierrors.IsNotFound(err):
		return false
	case err != nil:
		t.Fatalf("get %s %s: %v", kind, name, err)
	}
	return true
}

// serves waits until every ready pod of app (label app=<app>) and, when the app has a
// Service, its ClusterIP answer want, failing the test after a minute.
func (e *env) serves(t *testing.T, ctx context.Context, ns, app, want string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	fetch := func(ctx context.Context, url string) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return false, err
		}
		var answers []string
		for _, p := range pods.Items {
			ready := false
			for _, c := range p.Status.Conditions {
				ready = ready || c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
			}
			if p.DeletionTimestamp != nil || p.Status.PodIP == "" || !ready {
				continue
			}
			answers = append(answers, fetch(ctx, fmt.Sprintf("http://%s:8080/", p.Status.PodIP)))
		}
		if svc, err := e.client.CoreV1().Services(ns).Get(ctx, app, metav1.GetOptions{}); err == nil {
			answers = append(answers, "service "+fetch(ctx, fmt.Sprintf("http://%s/", svc.Spec.ClusterIP)))
		}
		last = strings.Join(answers, ", ")
		if len(answers) == 0 {
			return false, nil
		}
		for _, a := range answers {
			if strings.TrimPrefix(a, "service ") != want {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("%s in %s does not serve %q: last answers: %s (%v)", app, ns, want, last, err)
	}
}

// wantExit fails the test unless r exited with code.
func wantExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// wantContains fails the test unless s contains every one of subs.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not mention %q:\n%s", what, sub, s)
		}
	}
}
