package helmrelease

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
)

// helmSecret encodes a release the way Helm's Secret driver does.
func helmSecret(t *testing.T, name string, version int, status, manifest string) *corev1.Secret {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"name": name, "namespace": "shop", "version": version, "manifest": manifest,
		"info":  map[string]any{"status": status},
		"chart": map[string]any{"metadata": map[string]any{"name": "web", "version": "1.2.3"}},
		"hooks": []any{map[string]any{
			"name": "migrate", "kind": "Job", "path": "web/templates/migrate.yaml",
			"manifest": "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\n",
			"events":   []string{"pre-upgrade", "pre-delete"}, "weight": 2, "delete_policies": []string{"hook-succeeded"},
			"last_run": map[string]any{"phase": "Succeeded"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "sh.helm.release.v1." + name + ".v" + strconv.Itoa(version), Namespace: "shop",
			Labels: map[string]string{"owner": "helm", "name": name, "status": status, "version": strconv.Itoa(version)},
		},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte(base64.StdEncoding.EncodeToString(gz.Bytes()))},
	}
}

const manifestV1 = `---
# Source: web/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: web-v1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`

func TestLoadPicksTheLastDeployedRevision(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(
		helmSecret(t, "web", 1, "superseded", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\n"),
		helmSecret(t, "web", 2, "deployed", manifestV1),
		helmSecret(t, "web", 3, "failed", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\n"),
		helmSecret(t, "other", 1, "deployed", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
	)
	rel, err := Load(context.Background(), client, "shop", "web")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Revision != 2 || rel.Chart != "web-1.2.3" || len(rel.Hooks) != 1 {
		t.Fatalf("got revision %d chart %q hooks %d, want 2, web-1.2.3, 1", rel.Revision, rel.Chart, len(rel.Hooks))
	}
	if h := rel.Hooks[0]; h.Object.GetKind() != "Job" || h.Object.GetName() != "migrate" || h.Weight != 2 ||
		strings.Join(h.Events, ",") != "pre-upgrade,pre-delete" || strings.Join(h.DeletePolicies, ",") != "hook-succeeded" ||
		h.Path != "web/templates/migrate.yaml" {
		t.Errorf("hook = %+v (object %s/%s)", h, h.Object.GetKind(), h.Object.GetName())
	}
	var names []string
	for _, o := range rel.Objects {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	if len(names) != 2 || names[0] != "ConfigMap/web-v1" || names[1] != "Service/web" {
		t.Errorf("objects = %v, want [ConfigMap/web-v1 Service/web]", names)
	}
}

func TestLoadWithoutDeployedRevision(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(helmSecret(t, "web", 1, "failed", manifestV1))
	_, err := Load(context.Background(), client, "shop", "web")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestDecodeRejectsDamagedRecords(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"not base64": "%%%",
		"not json":   base64.StdEncoding.EncodeToString([]byte("not json")),
	} {
		if _, err := decode([]byte(data)); err == nil {
			t.Errorf("%s: decode succeeded, want an error", name)
		}
	}
}

func TestRunnableHooksLeaveOutTests(t *testing.T) {
	t.Parallel()
	obj := func(name string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{}
		o.SetAPIVersion("batch/v1")
		o.SetKind("Job")
		o.SetName(name)
		return o
	}
	rel := &Release{Hooks: []helm.Hook{
		{Hook: release.Hook{Object: obj("t"), Events: []string{"test"}}},
		{Hook: release.Hook{Object: obj("m"), Events: []string{"test-success", release.HookPreDelete}, Weight: 1, DeletePolicies: []string{release.HookDeleteSucceeded}}},
	}}
	got, tests := rel.RunnableHooks()
	if tests != 1 || len(got) != 1 || got[0].Object.GetName() != "m" || strings.Join(got[0].Events, ",") != release.HookPreDelete ||
		got[0].Weight != 1 || got[0].DeletePolicies[0] != release.HookDeleteSucceeded {
		t.Errorf("RunnableHooks = %+v, %d; want only m with pre-delete, and 1 test hook left out", got, tests)
	}
}
