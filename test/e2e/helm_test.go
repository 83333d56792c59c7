package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// shopChart is the e2e chart: values files, a sub-chart in charts/, lookup calls, a
// pre-install hook Job (deleted on success), a pre-upgrade hook Job, a post-install/
// post-upgrade hook ConfigMap and a test hook (recorded, never run by a deploy).
func shopChart(t *testing.T, e *env) (chart, prodValues string) {
	t.Helper()
	dir := filepath.Join(e.repo, "test", "e2e", "testdata", "charts", "shop")
	return dir, filepath.Join(dir, "values-prod.yaml")
}

// shopDeploy returns the arguments of `shipsafe deploy shop` from the shop chart with its
// prod values, the app and hook images, and version, then extra.
func shopDeploy(t *testing.T, e *env, ns, image, hookImage, version string, extra ...string) []string {
	t.Helper()
	chart, prod := shopChart(t, e)
	return append([]string{"-n", ns, "deploy", "shop", "--chart", chart, "--values", prod,
		"--set", "image=" + image + ",hook.image=" + hookImage, "--set", "version=" + version, "--timeout", "2m"}, extra...)
}

// sharedSettings creates the ConfigMap the chart's lookup reads.
func sharedSettings(t *testing.T, ctx context.Context, e *env, ns, region string) {
	t.Helper()
	_, err := e.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "shared-settings"},
		Data:       map[string]string{"region": region},
	}, metav1.CreateOptions{})
	must(t, err)
}

// TestHelmRenderMatchesHelmTemplate renders the chart with shipsafe and with the Helm CLI
// built from the same Go module, for the same inputs, and compares the objects as sets:
// against the live cluster (helm template --dry-run=server: lookup and capabilities from
// the cluster) and offline (a plain helm template).
func TestHelmRenderMatchesHelmTemplate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	helm := helmBinary(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sharedSettings(t, ctx, e, ns, "eu-west-7")
	chart, prod := shopChart(t, e)
	motd := filepath.Join(t.TempDir(), "motd.txt")
	must(t, os.WriteFile(motd, []byte("multi\nline\n"), 0o644))

	tests := []struct {
		name    string
		values  []string
		offline bool
	}{
		{"live, values file and --set", []string{"--values", prod, "--set", "version=v7,replicas=3"}, false},
		{"live, sub-chart disabled, --set-string and --set-file", []string{"--set", "cache.enabled=false",
			"--set-string", "version=12", "--set-file", "greeting=" + motd}, false},
		{"offline", []string{"--values", prod, "--set", "version=v8"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-n", ns, "render", "shop", "--chart", chart}, tt.values...)
			helmArgs := append([]string{"template", "shop", chart, "-n", ns, "--include-crds"}, tt.values...)
			if tt.offline {
				args = append(args, "--offline")
			} else {
				helmArgs = append(helmArgs, "--kubeconfig", e.kubeconfig, "--dry-run=server")
			}
			r := e.shipsafe(t, ctx, args...)
			wantExit(t, r, 0)
			cmd := exec.CommandContext(ctx, helm, helmArgs...)
			cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helm %s: %v\n%s", strings.Join(helmArgs, " "), err, out)
			}
			ours := decodeAll(t, "shipsafe render", r.stdout)
			theirs := decodeAll(t, "helm template", string(out))
			compareObjectSets(t, ours, theirs)

			// The inputs did reach the templates (a comparison of two empty renders proves
			// nothing).
			cm := ours["ConfigMap/shop-config"]
			if cm == nil {
				t.Fatalf("no ConfigMap/shop-config in the render")
			}
			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			wantRegion := "eu-west-7"
			if tt.offline {
				wantRegion = "unknown"
			}
			if data["region"] != wantRegion {
				t.Errorf("region (from lookup) = %q, want %q", data["region"], wantRegion)
			}
			if _, ok := ours["Job/shop-migrate"]; !ok {
				t.Errorf("hooks are missing from the render: %v", sortedKeys(ours))
			}
		})
	}
}

// decodeAll parses a multi-document YAML stream into objects keyed by "Kind/name".
func decodeAll(t *testing.T, what, stream string) map[string]*unstructured.Unstructured {
	t.Helper()
	objs, err := manifest.Decode(what, strings.NewReader(stream))
	if err != nil {
		t.Fatalf("parse %s output: %v\n%s", what, err, stream)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		out[o.GetKind()+"/"+o.GetName()] = o
	}
	return out
}

func sortedKeys(m map[string]*unstructured.Unstructured) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// compareObjectSets fails the test unless both sets hold the same objects, field for field.
func compareObjectSets(t *testing.T, ours, theirs map[string]*unstructured.Unstructured) {
	t.Helper()
	if a, b := strings.Join(sortedKeys(ours), " "), strings.Join(sortedKeys(theirs), " "); a != b {
		t.Fatalf("objects differ:\nshipsafe render: %s\nhelm template:   %s", a, b)
	}
	for k, o := range ours {
		if !reflect.DeepEqual(o.Object, theirs[k].Object) {
			a, _ := json.MarshalIndent(o.Object, "", "  ")
			b, _ := json.MarshalIndent(theirs[k].Object, "", "  ")
			t.Errorf("%s differs:\nshipsafe render:\n%s\nhelm template:\n%s", k, a, b)
		}
	}
}

// TestHelmChartDeployAndUpgrade deploys a chart with a values file, --set, a sub-chart,
// lookup calls and hooks; upgrades it (the pre-upgrade Job runs and completes before the
// Deployment changes); has a failing pre-upgrade hook roll the upgrade back before any
// object changed; and upgrades again past it.
func TestHelmChartDeployAndUpgrade(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	jobok := e.image(t, "jobok", "v1")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	sharedSettings(t, ctx, e, ns, "eu-west-7")
	deploy := func(version string, extra ...string) result {
		return e.shipsafe(t, ctx, shopDeploy(t, e, ns, naive, jobok, version, extra...)...)
	}

	// Install: pre-install seed Job runs and is deleted (hook-succeeded); the post-install
	// ConfigMap is created after the objects are ready; pre-upgrade does not run; the test
	// hook is recorded, not run.
	r := deploy("v1")
	wantExit(t, r, 0)
	if _, err := e.client.CoreV1().Pods(ns).Get(ctx, "shop-test", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the test hook Pod shop-test was created by the deploy (err %v)", err)
	}
	wantContains(t, "install output", r.stdout, "pre-install hook batch/Job "+ns+"/shop-seed", "post-install hook ConfigMap "+ns+"/shop-announce")
	e.serves(t, ctx, ns, "shop", "v1")
	wantConfig(t, ctx, e, ns, "shop-config", map[string]string{"greeting": "hello from prod", "version": "v1",
		"region": "eu-west-7", "installedRevision": "1", "revision": "1", "mode": "install"})
	wantConfig(t, ctx, e, ns, "shop-cache", map[string]string{"size": "5"})
	wantConfig(t, ctx, e, ns, "shop-announce", map[string]string{"version": "v1"})
	if job := getJob(t, ctx, e, ns, "shop-seed"); job != nil {
		t.Errorf("seed hook Job still exists after success despite hook-succeeded: %+v", job.Status)
	}
	if job := getJob(t, ctx, e, ns, "shop-migrate"); job != nil {
		t.Error("the pre-upgrade hook ran on install")
	}
	st := e.wantConsistent(t, ctx, ns, "shop")
	wantContains(t, "revision 1 objects", strings.Join(st.Deployed.Objects, "\n"), "Deployment "+ns+"/shop", "ConfigMap "+ns+"/shop-cache")
	for _, o := range st.Deployed.Objects {
		if strings.Contains(o, "seed") || strings.Contains(o, "migrate") || strings.Contains(o, "announce") {
			t.Errorf("hook %s recorded among the release's objects", o)
		}
	}

	// Upgrade: the pre-upgrade migrate Job completes before the Deployment changes;
	// lookup keeps installedRevision from the live ConfigMap.
	r = deploy("v2", "--skip-hooks", "test")
	wantExit(t, r, 0)
	e.serves(t, ctx, ns, "shop", "v2")
	wantConfig(t, ctx, e, ns, "shop-config", map[string]string{"version": "v2", "installedRevision": "1", "revision": "2", "mode": "upgrade"})
	wantConfig(t, ctx, e, ns, "shop-announce", map[string]string{"version": "v2"})
	job := getJob(t, ctx, e, ns, "shop-migrate")
	if job == nil || job.Status.Succeeded != 1 || job.Status.CompletionTime == nil {
		t.Fatalf("migrate hook Job not complete after the upgrade: %+v", job)
	}
	wantContains(t, "migrate hook log", jobLog(t, ctx, e, ns, "shop-migrate"), "migrate done for version v2")
	rsCreated := replicaSetOf(t, ctx, e, ns, "shop", "v2")
	if rsCreated.Before(job.Status.CompletionTime) {
		t.Errorf("the v2 ReplicaSet was created at %s, before the pre-upgrade hook completed at %s", rsCreated, job.Status.CompletionTime)
	}

	// A failing pre-upgrade hook: nothing of v3 is applied (the Deployment's generation
	// does not move), the release rolls back to 2, and history says why, with the hook's
	// own log line.
	generation := deploymentGeneration(t, ctx, e, ns, "shop")
	r = deploy("v3", "--skip-hooks", "test", "--set", "hook.image="+crash)
	wantExit(t, r, 1)
	wantContains(t, "failed hook error", r.stderr, "rolled back to revision 2", "pre-upgrade hook batch/Job "+ns+"/shop-migrate")
	e.serves(t, ctx, ns, "shop", "v2")
	if g := deploymentGeneration(t, ctx, e, ns, "shop"); g != generation {
		t.Errorf("Deployment generation went from %d to %d: the failed hook did not stop the apply", generation, g)
	}
	wantConfig(t, ctx, e, ns, "shop-config", map[string]string{"version": "v2", "revision": "2"})
	failed := revisionOf(t, e.history(t, ctx, ns, "shop"), 3)
	if failed.Status != "rolled-back" || failed.RolledBackTo != 2 {
		t.Errorf("revision 3: %s rolled back to %d; want rolled-back to 2", failed.Status, failed.RolledBackTo)
	}
	wantContains(t, "revision 3 reason", failed.Reason, "pre-upgrade hook", "shop-migrate")
	wantContains(t, "revision 3 evidence", strings.Join(failed.Evidence, "\n"), "fatal: cannot start version v3")
	if st := e.wantConsistent(t, ctx, ns, "shop"); st.Deployed == nil || st.Deployed.Revision != 2 {
		t.Errorf("deployed = %+v, want revision 2", st.Deployed)
	}

	// The failed Job stays for inspection (no hook-failed policy); the next upgrade
	// replaces it (before-hook-creation) and goes through.
	r = deploy("v4", "--skip-hooks", "test")
	wantExit(t, r, 0)
	e.serves(t, ctx, ns, "shop", "v4")
	wantContains(t, "migrate hook log", jobLog(t, ctx, e, ns, "shop-migrate"), "migrate done for version v4")

	// Rollback to 2 runs revision 2's post-rollback hook (rendered for v2), not its
	// pre-upgrade one; with --no-hooks none runs.
	r = e.shipsafe(t, ctx, "-n", ns, "rollback", "shop", "2", "--timeout", "2m")
	wantExit(t, r, 0)
	wantContains(t, "rollback output", r.stdout, "post-rollback hook ConfigMap "+ns+"/shop-rolled-back")
	e.serves(t, ctx, ns, "shop", "v2")
	wantConfig(t, ctx, e, ns, "shop-rolled-back", map[string]string{"version": "v2"})
	wantContains(t, "migrate hook log after the rollback", jobLog(t, ctx, e, ns, "shop-migrate"), "migrate done for version v4")
	r = e.shipsafe(t, ctx, "-n", ns, "rollback", "shop", "4", "--no-hooks", "--timeout", "2m")
	wantExit(t, r, 0)
	e.serves(t, ctx, ns, "shop", "v4")
	wantConfig(t, ctx, e, ns, "shop-rolled-back", map[string]string{"version": "v2"})

	// A failing pre-delete hook stops the uninstall before anything is deleted.
	wantExit(t, deploy("v5", "--skip-hooks", "test", "--set", "hook.deleteImage="+crash), 0)
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "shop", "--timeout", "1m")
	wantExit(t, r, 3)
	wantContains(t, "failed pre-delete hook", r.stderr, "stopped before deleting anything", "pre-delete hook batch/Job "+ns+"/shop-goodbye",
		"fatal: cannot start version v5", "--no-hooks")
	e.serves(t, ctx, ns, "shop", "v5")
	if st := e.wantConsistent(t, ctx, ns, "shop"); st.Deployed == nil || st.Deployed.Revision != 7 {
		t.Errorf("after the refused uninstall: deployed = %+v, want revision 7", st.Deployed)
	}

	// With the hook fixed: pre-delete runs (and is deleted on success), the objects go,
	// then the post-delete hook runs.
	wantExit(t, deploy("v6", "--skip-hooks", "test"), 0)
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "shop")
	wantExit(t, r, 0)
	wantContains(t, "uninstall output", r.stdout, "pre-delete hook batch/Job "+ns+"/shop-goodbye",
		"deleted  apps/Deployment "+ns+"/shop", "post-delete hook ConfigMap "+ns+"/shop-farewell")
	if strings.Index(r.stdout, "deleted  apps/Deployment") > strings.Index(r.stdout, "post-delete hook") {
		t.Errorf("the post-delete hook ran before the objects were deleted:\n%s", r.stdout)
	}
	if e.exists(t, ctx, ns, "Deployment", "shop") || getJob(t, ctx, e, ns, "shop-goodbye") != nil {
		t.Error("after uninstall the Deployment or the succeeded pre-delete Job (hook-succeeded) is still there")
	}
	wantConfig(t, ctx, e, ns, "shop-farewell", map[string]string{"version": "v6"})
}

// TestChartRenderedAgainWhenAnotherDeployGetsIn starts a second deploy of a chart while
// the first install of the release is still running: the second renders for an install
// that is an upgrade once it holds the lock, so it renders again and deploys as an
// upgrade (.Release.IsUpgrade, pre-upgrade hooks), not with a stale install rendering.
func TestChartRenderedAgainWhenAnotherDeployGetsIn(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	jobok := e.image(t, "jobok", "v1")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sharedSettings(t, ctx, e, ns, "eu-west-7")
	deployArgs := func(image, version string, extra ...string) []string {
		return shopDeploy(t, e, ns, image, jobok, version, append([]string{"--skip-hooks", "test"}, extra...)...)
	}

	// The first install is slow (ready after 20 s) and holds the lock meanwhile.
	first := e.start(t, deployArgs(slow, "v1", "--ready-grace", "60s")...)
	first.waitLine("waiting for", time.Minute)
	second := e.shipsafe(t, ctx, deployArgs(naive, "v2", "--lock-wait", "2m")...)
	wantExit(t, first.wait(2*time.Minute), 0)
	wantExit(t, second, 0)
	wantContains(t, "second deploy warning", second.stderr, "the release changed while its chart was rendered",
		"rendered as revision 2 (install), but the release is now at revision 2 (upgrade)", "rendering the chart again")
	wantContains(t, "second deploy output", second.stdout, "pre-upgrade hook batch/Job "+ns+"/shop-migrate")
	if strings.Contains(second.stdout, "pre-install hook") {
		t.Errorf("the second deploy ran install hooks:\n%s", second.stdout)
	}
	wantConfig(t, ctx, e, ns, "shop-config", map[string]string{"version": "v2", "revision": "2", "mode": "upgrade", "installedRevision": "1"})
	e.serves(t, ctx, ns, "shop", "v2")
}

// wantConfig fails the test unless ConfigMap name has every key of want with its value.
func wantConfig(t *testing.T, ctx context.Context, e *env, ns, name string, want map[string]string) {
	t.Helper()
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get ConfigMap %s: %v", name, err)
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap %s: %s = %q, want %q", name, k, cm.Data[k], v)
		}
	}
}

// deploymentGeneration returns metadata.generation of Deployment name.
func deploymentGeneration(t *testing.T, ctx context.Context, e *env, ns, name string) int64 {
	t.Helper()
	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	must(t, err)
	return d.Generation
}

// getJob returns Job name, or nil when it does not exist.
func getJob(t *testing.T, ctx context.Context, e *env, ns, name string) *batchv1.Job {
	t.Helper()
	job, err := e.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(t, err)
	return job
}

// jobLog returns the logs of the pods of Job name.
func jobLog(t *testing.T, ctx context.Context, e *env, ns, name string) string {
	t.Helper()
	pods, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + name})
	must(t, err)
	var b strings.Builder
	for _, p := range pods.Items {
		data, err := e.client.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		must(t, err)
		b.Write(data)
	}
	return b.String()
}

// replicaSetOf returns when the ReplicaSet of Deployment app running version was created.
func replicaSetOf(t *testing.T, ctx context.Context, e *env, ns, app, version string) *metav1.Time {
	t.Helper()
	rss, err := e.client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	must(t, err)
	for _, rs := range rss.Items {
		for _, c := range rs.Spec.Template.Spec.Containers {
			for _, env := range c.Env {
				if env.Name == "VERSION" && env.Value == version {
					return &rs.CreationTimestamp
				}
			}
		}
	}
	t.Fatalf("no ReplicaSet of %s runs version %s", app, version)
	return nil
}
