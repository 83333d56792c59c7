package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// Ownership marks a deploy stamps on every object of a release.
const (
	releaseLabel          = "shipsafe.io/release"
	releaseNamespaceAnnot = "shipsafe.io/release-namespace"
)

// gadgetChart writes a chart holding crd in crds/ (with its current note) and, in
// templates/, a Gadget of its own, a ConfigMap, a Secret marked
// shipsafe.io/resource-policy: keep and, when volume is set, a PersistentVolumeClaim
// marked helm.sh/resource-policy: keep that binds to that PersistentVolume.
func gadgetChart(t *testing.T, crd *testCRD, version, volume string) string {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":           "apiVersion: v2\nname: gadgets\nversion: " + version + "\n",
		"crds/gadgets.yaml":    crd.yaml(),
		"templates/own.yaml":   crd.gadget("v1", "{{ .Release.Name }}-own"),
		"templates/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {chart: \"" + version + "\"}\n",
		"templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: generated
  annotations: {"shipsafe.io/resource-policy": keep}
stringData: {password: generated-once}
`,
	}
	if volume != "" {
		// storageClassName "" and volumeName bind the claim to the test's own volume:
		// no provisioner is needed, and the claim is Bound (ready) at once.
		files["templates/pvc.yaml"] = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  annotations: {"helm.sh/resource-policy": keep}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: ` + volume + `
  resources: {requests: {storage: 1Mi}}
`
	}
	return writeChart(t, files)
}

// staticVolume creates a PersistentVolume reserved for the claim ns/claim (no storage
// class, never mounted), deleted when the test ends, and returns its name.
func staticVolume(t *testing.T, ctx context.Context, e *env, ns, claim string) string {
	t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-" + ns, Labels: map[string]string{"shipsafe.io/test": "true"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Mi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: claim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/shipsafe-e2e-" + ns},
			},
		},
	}
	_, err := e.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{})
	})
	return pv.Name
}

// crdNote returns the description of the live CRD's first version's schema, where
// testCRD writes its note.
func crdNote(t *testing.T, crd *unstructured.Unstructured) string {
	t.Helper()
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if len(versions) == 0 {
		t.Fatalf("CRD %s has no versions", crd.GetName())
	}
	v, _ := versions[0].(map[string]any)
	d, _, _ := unstructured.NestedString(v, "schema", "openAPIV3Schema", "description")
	return d
}

// wantDisowned fails the test unless what (an object's metadata) carries neither the
// release label nor the release namespace annotation.
func wantDisowned(t *testing.T, what string, m metav1.Object) {
	t.Helper()
	if v, ok := m.GetLabels()[releaseLabel]; ok {
		t.Errorf("%s was left in place but still has label %s=%s", what, releaseLabel, v)
	}
	if v, ok := m.GetAnnotations()[releaseNamespaceAnnot]; ok {
		t.Errorf("%s was left in place but still has annotation %s=%s", what, releaseNamespaceAnnot, v)
	}
}

// createGadget creates the Gadget name in ns by hand, as a user of the CRD would.
func createGadget(t *testing.T, ctx context.Context, e *env, crd *testCRD, ns, name string) {
	t.Helper()
	g := &unstructured.Unstructured{}
	g.SetAPIVersion(crd.group + "/v1")
	g.SetKind("Gadget")
	g.SetName(name)
	_, err := e.dynamic(t).Resource(crd.gvr("v1")).Namespace(ns).Create(ctx, g, metav1.CreateOptions{})
	must(t, err)
}

// gadgetExists reports whether the Gadget ns/name exists and is not being deleted.
func gadgetExists(t *testing.T, ctx context.Context, e *env, crd *testCRD, ns, name string) bool {
	t.Helper()
	g, err := e.dynamic(t).Resource(crd.gvr("v1")).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	return err == nil && g.GetDeletionTimestamp() == nil
}

// TestChartCRDsAndKeptObjectsOutliveTheRelease follows Helm's rules for a chart's crds/
// and for helm.sh/resource-policy: keep. The chart's CRD is created on install; an
// upgrade whose chart changes the CRD leaves the live CRD as it is, saying so, unless
// --update-crds. Uninstall deletes the release's ordinary objects (its own Gadget
// included) but leaves the CRD (so every Gadget of the cluster lives on), the kept
// PersistentVolumeClaim and the kept Secret, each without the release's label and
// annotation. A second release shows that uninstall --delete-crds deletes the CRD.
// Everything is checked with the admin client.
func TestChartCRDsAndKeptObjectsOutliveTheRelease(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	crd := newTestCRD(t, e, ns, "v1")
	volume := staticVolume(t, ctx, e, ns, "data")

	crd.note = "first"
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "gz", "--chart", gadgetChart(t, crd, "1.0.0", volume))
	wantExit(t, r, 0)
	live := e.liveCRD(t, ctx, crd.name())
	if live == nil {
		t.Fatalf("install did not create CRD %s from the chart's crds/", crd.name())
	}
	if live.GetLabels()[releaseLabel] != "gz" {
		t.Errorf("CRD %s created by the install has labels %v, want it owned by release gz", crd.name(), live.GetLabels())
	}
	createGadget(t, ctx, e, crd, ns, "by-hand")

	// An upgrade whose chart changes the CRD leaves the live CRD alone, and says so.
	crd.note = "second"
	upgraded := gadgetChart(t, crd, "2.0.0", volume)
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "gz", "--chart", upgraded)
	wantExit(t, r, 0)
	wantContains(t, "upgrade output", r.stdout+r.stderr, crd.name(), "left as it is", "--update-crds")
	if n := strings.Count(r.stdout+r.stderr, "left as it is"); n != 1 {
		t.Errorf("the upgrade output says %d times that the CRD is left as it is, want once", n)
	}
	if got := crdNote(t, e.liveCRD(t, ctx, crd.name())); got != "gadgets first" {
		t.Errorf("after an upgrade without --update-crds the live CRD says %q, want the installed %q", got, "gadgets first")
	}
	wantConfig(t, ctx, e, ns, "plain", map[string]string{"chart": "2.0.0"})

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "gz", "--chart", upgraded, "--update-crds")
	wantExit(t, r, 0)
	if got := crdNote(t, e.liveCRD(t, ctx, crd.name())); got != "gadgets second" {
		t.Errorf("after an upgrade with --update-crds the live CRD says %q, want the chart's %q", got, "gadgets second")
	}

	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "gz")
	wantExit(t, r, 0)
	out := r.stdout + r.stderr
	wantContains(t, "uninstall output", out, crd.name(), "--delete-crds", "PersistentVolumeClaim "+ns+"/data", "Secret "+ns+"/generated")
	if live = e.liveCRD(t, ctx, crd.name()); live == nil {
		t.Fatalf("uninstall deleted CRD %s of the chart's crds/ (and with it every Gadget in the cluster)", crd.name())
	}
	wantDisowned(t, "CRD "+crd.name(), live)
	if !gadgetExists(t, ctx, e, crd, ns, "by-hand") {
		t.Error("uninstall deleted Gadget by-hand, which no release owns")
	}
	if gadgetExists(t, ctx, e, crd, ns, "gz-own") {
		t.Error("uninstall left Gadget gz-own, an ordinary object of the release")
	}
	pvc, err := e.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
	if err != nil || pvc.DeletionTimestamp != nil {
		t.Fatalf("uninstall deleted PersistentVolumeClaim data, marked helm.sh/resource-policy: keep (err %v)", err)
	}
	wantDisowned(t, "PersistentVolumeClaim data", pvc)
	sec, err := e.client.CoreV1().Secrets(ns).Get(ctx, "generated", metav1.GetOptions{})
	if err != nil || sec.DeletionTimestamp != nil {
		t.Fatalf("uninstall deleted Secret generated, marked shipsafe.io/resource-policy: keep (err %v)", err)
	}
	wantDisowned(t, "Secret generated", sec)
	if e.exists(t, ctx, ns, "ConfigMap", "plain") {
		t.Error("uninstall left ConfigMap plain, an ordinary object of the release")
	}

	// uninstall --delete-crds deletes the CRDs the release's chart created, and with them
	// their custom resources.
	other := newTestCRD(t, e, ns+"-del", "v1")
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "gd", "--chart", writeChart(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: gd\nversion: 1.0.0\n",
		"crds/gadgets.yaml": other.yaml(),
		"templates/g.yaml":  other.gadget("v1", "gd-own"),
	}))
	wantExit(t, r, 0)
	createGadget(t, ctx, e, other, ns, "by-hand")
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "gd", "--delete-crds")
	wantExit(t, r, 0)
	wantContains(t, "uninstall --delete-crds output", r.stdout+r.stderr, other.name())
	e.waitGone(t, ctx, crdGVR, "", other.name())
	if n := e.countGadgets(t, ctx, other, "v1", ns); n > 0 {
		t.Errorf("%d Gadgets of the deleted CRD %s are left", n, other.name())
	}
}
