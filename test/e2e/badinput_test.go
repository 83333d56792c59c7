package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestBadInput feeds deploy one kind of bad input per case. Each must exit 2 with an
// error that names the problem (the object, file or setting) and says what to do, and
// leave the namespace as it was: no record, no lock, no object of the release.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	good := configMap("web-config", map[string]string{"color": "blue"})
	app := workload{Name: "web", Image: img, Version: "v1"}.yaml()

	tests := []struct {
		name string
		// prepare sets the namespace up and returns deploy's arguments after "-n NS".
		prepare func(t *testing.T, ctx context.Context, ns string) []string
		// stderr holds what the error must mention; "NS" is replaced by the namespace.
		stderr []string
	}{
		{
			name: "malformed YAML",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "web", "-f", writeManifest(t, good, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n")}
			},
			stderr: []string{"release.yaml:", "document 2", "malformed YAML"},
		},
		{
			name: "unknown kind",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "web", "-f", writeManifest(t, good, app,
					"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gadget\nspec:\n  size: 3\n")}
			},
			stderr: []string{`"Widget"`, "example.com/v1", "install its CRD or fix apiVersion"},
		},
		{
			name: "duplicate objects",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "web", "-f", writeManifest(t, good, app, configMap("web-config", map[string]string{"color": "red"}))}
			},
			stderr: []string{"duplicate object ConfigMap", "web-config", "keep one definition"},
		},
		{
			name: "duplicate after namespace defaulting",
			prepare: func(t *testing.T, _ context.Context, ns string) []string {
				explicit := strings.Replace(good, "  name: web-config", "  name: web-config\n  namespace: "+ns, 1)
				return []string{"deploy", "web", "-f", writeManifest(t, good, explicit)}
			},
			stderr: []string{"duplicate object ConfigMap NS/web-config", "defaults to \"NS\"", "keep one definition"},
		},
		{
			name: "invalid object name",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "web", "-f", writeManifest(t, good, configMap("Web_1", map[string]string{"a": "b"}))}
			},
			stderr: []string{"Web_1", "lowercase"},
		},
		{
			name: "invalid field",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				bad := strings.Replace(app, "replicas: 1", "replicas: -3", 1)
				return []string{"deploy", "web", "-f", writeManifest(t, good, bad)}
			},
			stderr: []string{"validate apps/Deployment NS/web", "spec.replicas", "fix the manifest"},
		},
		{
			name: "invalid release name",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "Web_Release", "-f", writeManifest(t, good)}
			},
			stderr: []string{`invalid release name "Web_Release"`, "lowercase letters, digits and '-'"},
		},
		{
			name: "missing -f",
			prepare: func(*testing.T, context.Context, string) []string {
				return []string{"deploy", "web"}
			},
			stderr: []string{"pass -f FILE"},
		},
		{
			name: "missing file",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"deploy", "web", "-f", filepath.Join(t.TempDir(), "nope.yaml")}
			},
			stderr: []string{"nope.yaml", "does not exist", "check the path"},
		},
		{
			name: "missing namespace",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				return []string{"-n", "no-such-namespace", "deploy", "web", "-f", writeManifest(t, good)}
			},
			stderr: []string{`namespace "no-such-namespace" does not exist`, "pass --create-namespace, or add the Namespace to the release"},
		},
		{
			name: "owned by another release",
			prepare: func(t *testing.T, ctx context.Context, ns string) []string {
				shared := configMap("shared", map[string]string{"owner": "other"})
				wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "other", "-f", writeManifest(t, shared)), 0)
				return []string{"deploy", "web", "-f", writeManifest(t, good, shared)}
			},
			stderr: []string{"ConfigMap NS/shared belongs to release NS/other", "--adopt"},
		},
		{
			name: "not managed by shipsafe",
			prepare: func(t *testing.T, ctx context.Context, ns string) []string {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "handmade"}, Data: map[string]string{"by": "hand"}}
				if _, err := e.client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
					t.Fatalf("create configmap: %v", err)
				}
				return []string{"deploy", "web", "-f", writeManifest(t, good, configMap("handmade", map[string]string{"by": "shipsafe"}))}
			},
			stderr: []string{"ConfigMap NS/handmade exists and is not managed by shipsafe", "pass --adopt"},
		},
		{
			name: "unreachable cluster",
			prepare: func(t *testing.T, _ context.Context, _ string) []string {
				kc := writeKubeconfig(t, &clientcmdapi.Cluster{Server: "https://127.0.0.1:1", InsecureSkipTLSVerify: true}, &clientcmdapi.AuthInfo{Token: "x"})
				return []string{"--kubeconfig", kc, "deploy", "web", "-f", writeManifest(t, good)}
			},
			stderr: []string{"127.0.0.1:1", "connection refused", "check --kubeconfig"},
		},
		{
			name: "no RBAC permission",
			prepare: func(t *testing.T, ctx context.Context, ns string) []string {
				kc := e.serviceAccountKubeconfig(t, ctx, ns, "nobody", nil)
				return []string{"--kubeconfig", kc, "deploy", "web", "-f", writeManifest(t, good)}
			},
			stderr: []string{"missing permissions", `cannot list configmaps in namespace "NS"`, `cannot patch configmaps in namespace "NS"`,
				`cannot create secrets in namespace "NS"`, `cannot update leases.coordination.k8s.io in namespace "NS"`,
				`Role rule in namespace "NS": {apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "patch", "delete"]}`,
				"shipsafe rbac web"},
		},
		{
			name: "read-only RBAC permission",
			prepare: func(t *testing.T, ctx context.Context, ns string) []string {
				kc := e.serviceAccountKubeconfig(t, ctx, ns, "reader", []rbacv1.PolicyRule{{
					APIGroups: []string{"", "apps", "coordination.k8s.io"},
					Resources: []string{"configmaps", "secrets", "services", "deployments", "leases"},
					Verbs:     []string{"get", "list", "watch"},
				}})
				return []string{"--kubeconfig", kc, "deploy", "web", "-f", writeManifest(t, good)}
			},
			stderr: []string{"missing permissions", `cannot patch configmaps in namespace "NS"`, `cannot create secrets in namespace "NS"`,
				`{apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create", "update", "delete"]}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := clustertest.Namespace(t, e.client)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args := tc.prepare(t, ctx, ns)
			before := e.records(t, ctx, ns)

			r := e.shipsafe(t, ctx, append([]string{"-n", ns}, args...)...)
			wantExit(t, r, 2)
			for _, s := range tc.stderr {
				wantContains(t, "error", r.stderr, strings.ReplaceAll(s, "NS", ns))
			}

			if after := e.records(t, ctx, ns); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("records changed: before %v, after %v", before, after)
			}
			e.wantManaged(t, ctx, ns, "web")
			e.wantNoLease(t, ctx, ns, "web")
			if e.exists(t, ctx, ns, "ConfigMap", "web-config") {
				t.Error("ConfigMap web-config was created by a refused deploy")
			}
		})
	}
}

// TestAdoptTakesOverUnmanaged shows the way out that the "not managed by shipsafe"
// error names: --adopt brings existing objects into the release. An object made by hand
// (a plain create) is taken over with its fields; one that another tool keeps applying
// (server-side apply) meets a conflict, exit 2 naming the field, its manager and
// --force-conflicts, and nothing changes; with both flags both objects are taken over.
func TestAdoptTakesOverUnmanaged(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "handmade"}, Data: map[string]string{"by": "hand"}}
	if _, err := e.client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	if _, err := e.client.CoreV1().ConfigMaps(ns).Apply(ctx,
		corev1ac.ConfigMap("toolmade", ns).WithData(map[string]string{"by": "other-tool"}),
		metav1.ApplyOptions{FieldManager: "other-tool"}); err != nil {
		t.Fatalf("apply configmap as other-tool: %v", err)
	}
	manifest := writeManifest(t,
		configMap("handmade", map[string]string{"by": "shipsafe"}),
		configMap("toolmade", map[string]string{"by": "shipsafe"}))
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest), 2)
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--adopt")
	wantExit(t, r, 2)
	wantContains(t, "adopt error", r.stderr, "ConfigMap "+ns+"/toolmade", ".data.by", "other-tool", "--force-conflicts")
	if strings.Contains(r.stderr, "ConfigMap "+ns+"/handmade") {
		t.Errorf("the hand-made object's fields were reported as a conflict:\n%s", r.stderr)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--adopt", "--force-conflicts"), 0)
	for _, name := range []string{"handmade", "toolmade"} {
		got, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get configmap %s: %v", name, err)
		}
		if got.Labels["shipsafe.io/release"] != "web" || got.Data["by"] != "shipsafe" {
			t.Errorf("adopted configmap %s: labels %v, data %v", name, got.Labels, got.Data)
		}
	}
	// Adopted objects existed before the release, so they are not in the revision's
	// "created" list: uninstall still deletes them (they are part of the release now).
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "uninstall", "web"), 0)
	if e.exists(t, ctx, ns, "ConfigMap", "handmade") || e.exists(t, ctx, ns, "ConfigMap", "toolmade") {
		t.Error("uninstall left an adopted configmap")
	}
}

// serviceAccountKubeconfig creates a ServiceAccount with rules (none when nil) in ns and
// returns the path of a kubeconfig that authenticates as it with a short-lived token.
func (e *env) serviceAccountKubeconfig(t *testing.T, ctx context.Context, ns, name string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	sa := clustertest.ServiceAccount(t, ctx, e.config, ns, name, rules)
	return writeKubeconfig(t, &clientcmdapi.Cluster{Server: sa.Host, CertificateAuthorityData: sa.CAData}, &clientcmdapi.AuthInfo{Token: sa.BearerToken})
}

// writeKubeconfig writes a one-context kubeconfig and returns its path.
func writeKubeconfig(t *testing.T, cluster *clientcmdapi.Cluster, user *clientcmdapi.AuthInfo) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = cluster
	cfg.AuthInfos["u"] = user
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "c"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return p
}
