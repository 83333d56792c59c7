package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/release/store/storetest"
)

// TestSecretsConformance runs the suite against the real cluster, one namespace per test.
func TestSecretsConformance(t *testing.T) {
	t.Parallel()
	cs := clustertest.Clientset(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewSecrets(cs, clustertest.Namespace(t, cs))
	})
}

func pending(name string, n int) *release.Revision {
	return &release.Revision{Release: name, Number: n, Status: release.StatusPending, Description: "install"}
}

// TestSecretsLayout checks the Secret other tools and people see: name, type, labels, and
// the status label following updates.
func TestSecretsLayout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	s := store.NewSecrets(cs, ns)

	rev := pending("web", 3)
	if err := s.Create(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if rev.Namespace != ns {
		t.Fatalf("create filled Namespace %q, want %q", rev.Namespace, ns)
	}
	check := func(status release.Status) {
		t.Helper()
		sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "shipsafe.web.v3", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"shipsafe.io/release": "web", "shipsafe.io/revision": "3", "shipsafe.io/status": string(status), "owner": "shipsafe"}
		for k, v := range want {
			if sec.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, sec.Labels[k], v)
			}
		}
		if sec.Type != "shipsafe.io/release.v1" {
			t.Errorf("type = %q", sec.Type)
		}
		if b := sec.Data["release"]; len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("data[release] is not gzip: % x", b[:min(len(b), 4)])
		}
	}
	check(release.StatusPending)
	if err := rev.Transition(release.StatusDeployed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, rev); err != nil {
		t.Fatal(err)
	}
	check(release.StatusDeployed)

	other := pending("web", 4)
	other.Namespace = "elsewhere"
	if err := s.Create(ctx, other); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("create for another namespace: err = %v", err)
	}
}

// TestSecretsAllNamespaces checks the read-only store over every namespace.
func TestSecretsAllNamespaces(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clustertest.Clientset(t)
	nsA, nsB := clustertest.Namespace(t, cs), clustertest.Namespace(t, cs)
	// A release name no other test uses, since this store sees the whole cluster.
	name := "all-ns-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for _, w := range []struct {
		ns string
		n  int
	}{{nsA, 1}, {nsA, 2}, {nsB, 1}} {
		if err := store.NewSecrets(cs, w.ns).Create(ctx, pending(name, w.n)); err != nil {
			t.Fatal(err)
		}
	}
	all := store.NewSecrets(cs, "")

	list, err := all.List(ctx)
	if err != nil && !errors.Is(err, store.ErrDamaged) { // other tests plant damaged records
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		if r.Release == name {
			got = append(got, r.Namespace+"/v"+strconv.Itoa(r.Number))
		}
	}
	want := []string{nsA + "/v2", nsB + "/v1"}
	if nsB < nsA {
		want = []string{nsB + "/v1", nsA + "/v2"}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("list -A = %v, want %v", got, want)
	}

	if rev, err := all.Get(ctx, name, 2); err != nil || rev.Namespace != nsA {
		t.Fatalf("get v2 across namespaces = %+v, %v", rev, err)
	}
	if _, err := all.Get(ctx, name, 1); err == nil || !strings.Contains(err.Error(), "name one") {
		t.Fatalf("get of a revision in two namespaces: err = %v, want an ambiguity error", err)
	}
	if _, err := all.Get(ctx, name, 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get missing across namespaces: err = %v", err)
	}
	if hist, err := all.History(ctx, name); err != nil || len(hist) != 3 {
		t.Fatalf("history across namespaces = %d revisions, %v; want 3", len(hist), err)
	}
	if err := all.Create(ctx, pending(name, 3)); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Fatalf("create through the all-namespaces store: err = %v", err)
	}
	if err := all.Delete(ctx, name, 1); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Fatalf("delete through the all-namespaces store: err = %v", err)
	}
}

// TestSecretsForeignAndCorrupt checks that Secrets that are not records are ignored and a
// damaged record is reported with its name, not skipped.
func TestSecretsForeignAndCorrupt(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	s := store.NewSecrets(cs, ns)
	if err := s.Create(ctx, pending("web", 1)); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"owner": "shipsafe", "shipsafe.io/release": "web", "shipsafe.io/revision": "2"}
	foreign := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "shipsafe.web.v2", Namespace: ns, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"release": []byte("not a record")},
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hist, err := s.History(ctx, "web")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history with a foreign secret = %d revisions, %v; want 1", len(hist), err)
	}
	if _, err := s.Get(ctx, "web", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get of a foreign secret: err = %v, want ErrNotFound", err)
	}

	corrupt := foreign.DeepCopy()
	corrupt.Name, corrupt.Type, corrupt.Labels["shipsafe.io/revision"] = "shipsafe.web.v3", store.SecretType, "3"
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, corrupt, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hist, err = s.History(ctx, "web")
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), ns+"/shipsafe.web.v3") {
		t.Fatalf("history with a corrupt record: err = %v, want ErrDamaged naming the secret", err)
	}
	if len(hist) != 1 || hist[0].Number != 1 {
		t.Fatalf("history with a corrupt record returned %d revisions, want the readable v1", len(hist))
	}
	list, err := store.NewSecrets(cs, ns).List(ctx)
	if !errors.Is(err, store.ErrDamaged) || len(list) != 0 {
		t.Fatalf("list whose latest record is corrupt = %d revisions, %v; want none and ErrDamaged", len(list), err)
	}
	if _, err := s.Get(ctx, "web", 3); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("get of a corrupt record: err = %v, want ErrDamaged", err)
	}
}

// TestSecretsParts checks the part Secrets of a record over what one Secret holds: how
// many there are as the record grows, that the old ones go, that none is left after
// Delete, and that a missing part is reported as damage naming it.
func TestSecretsParts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	s := store.NewSecrets(cs, ns)
	parts := func() []corev1.Secret {
		t.Helper()
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=" + string(store.PartSecretType)})
		if err != nil {
			t.Fatal(err)
		}
		return list.Items
	}

	rev := blobRevision(3<<19, 1) // about 1.15 MiB after compression: two parts
	if err := s.Create(ctx, rev); err != nil {
		t.Fatal(err)
	}
	first := parts()
	if len(first) != 2 {
		t.Fatalf("%d part secrets, want 2", len(first))
	}
	for _, p := range first {
		if p.Labels["shipsafe.io/release"] != "web" || p.Labels["shipsafe.io/revision"] != "1" || len(p.Data[store.PartKey]) > store.MaxPartSize {
			t.Errorf("part %s: labels %v, %d bytes", p.Name, p.Labels, len(p.Data[store.PartKey]))
		}
	}
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "shipsafe.web.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, inline := sec.Data[store.DataKey]; inline || len(sec.Data[store.DigestKey]) != 64 {
		t.Errorf("record secret data keys: %v", keys(sec.Data))
	}

	grown := blobRevision(3<<20, 2) // about 2.3 MiB: three parts, none of the old ones
	grown.StoreVersion = rev.StoreVersion
	if err := s.Update(ctx, grown); err != nil {
		t.Fatal(err)
	}
	second := parts()
	if len(second) != 3 {
		t.Fatalf("after growing: %d part secrets, want 3", len(second))
	}
	for _, p := range second {
		for _, old := range first {
			if p.Name == old.Name {
				t.Errorf("old part %s is still there", p.Name)
			}
		}
	}

	if err := cs.CoreV1().Secrets(ns).Delete(ctx, second[1].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "web", 1)
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), second[1].Name) {
		t.Fatalf("get with a part missing: err = %v, want ErrDamaged naming %s", err, second[1].Name)
	}

	if err := s.Delete(ctx, "web", 1); err != nil {
		t.Fatal(err)
	}
	if left := parts(); len(left) != 0 {
		t.Errorf("%d part secrets left after delete", len(left))
	}
}

// blobRevision is revision 1 of "web" with an incompressible ConfigMap of n bytes.
func blobRevision(n int, seed byte) *release.Revision {
	raw := make([]byte, n*3/4)
	rng := rand.New(rand.NewChaCha8([32]byte{seed}))
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	rev := pending("web", 1)
	rev.Objects = []*unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "blob"},
		"data": map[string]any{"blob": base64.StdEncoding.EncodeToString(raw)},
	}}}
	return rev
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
