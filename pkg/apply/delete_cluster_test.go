package apply

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// deleteEnv is an Applier on the real cluster and a fresh namespace.
func deleteEnv(t *testing.T) (*Applier, kubernetes.Interface, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: deletes objects on the real cluster")
	}
	c, err := kube.New(clustertest.Config(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return New(c.Dynamic, c.Metadata, c.Mapper, 0), c.Typed, clustertest.Namespace(t, c.Typed)
}

// ownedConfigMap creates ConfigMap name in ns owned by owner and returns its shell.
func ownedConfigMap(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string, owner manifest.Owner, extra map[string]string) (*unstructured.Unstructured, *corev1.ConfigMap) {
	t.Helper()
	ann := map[string]string{manifest.ReleaseNamespaceAnnotation: owner.Namespace}
	for k, v := range extra {
		ann[k] = v
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{manifest.ReleaseLabel: owner.Name}, Annotations: ann,
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shell := &unstructured.Unstructured{}
	shell.SetAPIVersion("v1")
	shell.SetKind("ConfigMap")
	shell.SetNamespace(ns)
	shell.SetName(name)
	return shell, cm
}

// leftLog collects what Delete reports it left.
type leftLog struct {
	mu  sync.Mutex
	why []string
}

func (l *leftLog) add(k manifest.Key, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.why = append(l.why, k.String()+": "+why)
}

func (l *leftLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.why, "\n")
}

// TestDeleteSparesObjectRecreatedMeanwhile deletes and re-creates the object (same
// name and labels, another UID) between Delete's read and its delete: the new object
// survives, and Delete says why.
func TestDeleteSparesObjectRecreatedMeanwhile(t *testing.T) {
	t.Parallel()
	a, cs, ns := deleteEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	owner := manifest.Owner{Namespace: ns, Name: "web"}
	shell, first := ownedConfigMap(t, ctx, cs, ns, "racy", owner, nil)
	a.beforeDelete = func(manifest.Key) {
		if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "racy", metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete in the window: %v", err)
		}
		ownedConfigMap(t, ctx, cs, ns, "racy", owner, nil)
	}
	var left leftLog
	deleted, err := a.Delete(ctx, []*unstructured.Unstructured{shell}, DeleteOptions{Owner: owner, OnLeft: left.add})
	if err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 0 {
		t.Errorf("Delete reports deleting %d objects, want 0", len(deleted))
	}
	live, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "racy", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the re-created ConfigMap is gone: %v", err)
	}
	if live.UID == first.UID {
		t.Fatalf("the window did not re-create the ConfigMap")
	}
	if !strings.Contains(left.String(), "re-created") {
		t.Errorf("Delete reported %q, want the re-creation named", left.String())
	}
}

// TestDeleteOnlyOwned deletes four ConfigMaps: one owned, one the same release name in
// another namespace owns, one a keep policy protects, one the caller keeps
// (DeleteOptions.Keep). Only the first is deleted; the kept ones lose their ownership.
func TestDeleteOnlyOwned(t *testing.T) {
	t.Parallel()
	a, cs, ns := deleteEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	owner := manifest.Owner{Namespace: ns, Name: "web"}
	mine, _ := ownedConfigMap(t, ctx, cs, ns, "mine", owner, nil)
	theirs, _ := ownedConfigMap(t, ctx, cs, ns, "theirs", manifest.Owner{Namespace: "elsewhere", Name: "web"}, nil)
	kept, _ := ownedConfigMap(t, ctx, cs, ns, "kept", owner, map[string]string{manifest.HelmResourcePolicyAnnotation: "keep"})
	spared, _ := ownedConfigMap(t, ctx, cs, ns, "spared", owner, nil)
	var left leftLog
	deleted, err := a.Delete(ctx, []*unstructured.Unstructured{mine, theirs, kept, spared}, DeleteOptions{
		Owner: owner, OnLeft: left.add, Keep: map[manifest.Key]string{manifest.KeyOf(spared): "spared by the caller"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 1 || deleted[0].GetName() != "mine" {
		t.Errorf("deleted %v, want only mine", deleted)
	}
	for _, name := range []string{"theirs", "kept", "spared"} {
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("ConfigMap %s: %v", name, err)
			continue
		}
		if name != "theirs" {
			if _, ok := manifest.OwnerOf(cm.Labels, cm.Annotations); ok {
				t.Errorf("%s ConfigMap still owned: labels %v annotations %v", name, cm.Labels, cm.Annotations)
			}
		}
	}
	wantLeft := []string{"belongs to release elsewhere/web now", "kept by its helm.sh/resource-policy: keep",
		"spared by the caller: left in place, no longer part of release " + ns + "/web"}
	for _, w := range wantLeft {
		if !strings.Contains(left.String(), w) {
			t.Errorf("Delete reported %q, want %q", left.String(), w)
		}
	}
}
