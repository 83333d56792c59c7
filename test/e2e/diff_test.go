package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// planView is the JSON shape of `diff -o json`.
type planView struct {
	Release  string `json:"release"`
	Revision int    `json:"revision"`
	Objects  []struct {
		Object string `json:"object"`
		Action string `json:"action"`
		Fields []struct {
			Path   string `json:"path"`
			Before any    `json:"before"`
			After  any    `json:"after"`
		} `json:"fields"`
		Diff      string `json:"diff"`
		Conflicts []struct {
			Path    string `json:"path"`
			Manager string `json:"manager"`
		} `json:"conflicts"`
	} `json:"objects"`
	Unchanged []string `json:"unchanged"`
}

// secretDoc renders a Secret with one password.
func secretDoc(name, password string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\nstringData:\n  password: " + password + "\n  user: admin\n"
}

// changedLines returns the removed and added lines of a unified diff, trimmed.
func changedLines(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++") {
			continue
		}
		if l[0] == '-' || l[0] == '+' {
			out = append(out, l[:1]+strings.TrimSpace(l[1:]))
		}
	}
	return out
}

// TestDiff deploys a release, then diffs a changed source: exactly the changed fields
// of the Deployment (replicas and an env value), the Secret key whose value changes but
// never the value, and the ConfigMap the deploy would prune. Diff changes nothing.
func TestDiff(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	v1 := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v1", Replicas: 1}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
		configMap("old-config", map[string]string{"x": "1"}),
		secretDoc("creds", "hunter2"),
	)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1), 0)

	// The same source: nothing to do.
	r := e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-f", v1)
	wantExit(t, r, 0)
	wantContains(t, "diff of the deployed source", r.stdout, `release "web": 0 to create, 0 to change, 0 to prune, 4 unchanged`)

	v2 := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v2", Replicas: 2}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
		secretDoc("creds", "hunter3"),
	)
	r = e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-f", v2, "-o", "json")
	wantExit(t, r, 1)
	var plan planView
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("decode diff -o json: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, o := range plan.Objects {
		got = append(got, o.Action+" "+o.Object)
	}
	want := []string{
		"change apps/Deployment " + ns + "/web",
		"change Secret " + ns + "/creds",
		"prune ConfigMap " + ns + "/old-config",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("diff objects %q, want %q", got, want)
	}
	if plan.Revision != 1 || !slices.Equal(plan.Unchanged, []string{"ConfigMap " + ns + "/web-config"}) {
		t.Errorf("revision %d, unchanged %q; want 1 and web-config", plan.Revision, plan.Unchanged)
	}

	// Exactly the two changed fields of the Deployment, nothing the server defaults.
	dep := plan.Objects[0]
	var fields []string
	for _, f := range dep.Fields {
		fields = append(fields, f.Path)
	}
	wantFields := []string{".spec.replicas", ".spec.template.spec.containers[name=app].env[name=VERSION].value"}
	if !slices.Equal(fields, wantFields) {
		t.Errorf("changed fields %q, want %q", fields, wantFields)
	}
	if lines, want := changedLines(dep.Diff), []string{"-replicas: 1", "+replicas: 2", "-value: v1", "+value: v2"}; !slices.Equal(lines, want) {
		t.Errorf("deployment diff changes %q, want %q:\n%s", lines, want, dep.Diff)
	}
	if len(dep.Conflicts) != 0 {
		t.Errorf("conflicts %+v, want none", dep.Conflicts)
	}

	// The Secret: the key is named as changed, no value is shown, plain or base64.
	sec := plan.Objects[1]
	if lines, want := changedLines(sec.Diff), []string{"-password: '***'", "+password: '*** (changed)'"}; !slices.Equal(lines, want) {
		t.Errorf("secret diff changes %q, want %q:\n%s", lines, want, sec.Diff)
	}
	for _, v := range []string{"hunter", "aHVudGVy", "admin", "YWRtaW4"} {
		if strings.Contains(r.stdout, v) {
			t.Errorf("diff -o json shows the secret value %q", v)
		}
	}

	// The text output: the same, without colour (CI=true), and exit 1.
	r = e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-f", v2)
	wantExit(t, r, 1)
	wantContains(t, "diff", r.stdout,
		"~ change apps/Deployment "+ns+"/web (2 fields)",
		"-  replicas: 1\n+  replicas: 2\n",
		"-          value: v1\n+          value: v2\n",
		"~ change Secret "+ns+"/creds (1 field)",
		"+  password: '*** (changed)'",
		"- prune  ConfigMap "+ns+"/old-config",
		`release "web": 0 to create, 2 to change, 1 to prune, 1 unchanged (against deployed revision 1)`)
	for _, v := range []string{"hunter", "aHVudGVy", "\x1b["} {
		if strings.Contains(r.stdout, v) {
			t.Errorf("diff text shows %q:\n%s", v, r.stdout)
		}
	}

	// Diff changed nothing.
	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 1 || !e.exists(t, ctx, ns, "ConfigMap", "old-config") {
		t.Errorf("diff changed the cluster: replicas %d, old-config exists %v", *d.Spec.Replicas, e.exists(t, ctx, ns, "ConfigMap", "old-config"))
	}
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:deployed" {
		t.Errorf("diff wrote a record: history %s", got)
	}

	// What diff announced is what deploy does.
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v2), 0)
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "ConfigMap/web-config")
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-f", v2), 0)
}

// TestDiffErrors: bad input and a missing source exit 2.
func TestDiffErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no source", args: []string{"diff", "web"}, want: "no source"},
		{name: "missing file", args: []string{"diff", "web", "-f", "/nonexistent.yaml"}, want: "does not exist"},
		{name: "rejected by the server", want: "server-side dry run",
			args: []string{"diff", "web", "-f", writeManifest(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: [1]\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.shipsafe(t, ctx, append([]string{"-n", ns}, tt.args...)...)
			wantExit(t, r, 2)
			wantContains(t, "error", r.stderr, tt.want)
		})
	}
}
