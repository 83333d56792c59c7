package e2e

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestRetiredVersionIsStillDeleted records custom resources under v1alpha1 of a CRD that
// serves v1alpha1 and v1 (v1 stores), then stops serving v1alpha1 (as a CRD upgrade
// outside shipsafe does). The objects are the same objects, served as v1: a deploy that
// prunes one and an uninstall that removes the other must delete them (read with the
// admin client in v1), not take "v1alpha1 is not served" for "already gone".
func TestRetiredVersionIsStillDeleted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	crd := newTestCRD(t, e, ns, "v1", "v1alpha1")
	dyn := e.dynamic(t)

	// The CRD is not part of either release: its owner upgrades it.
	var obj unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(crd.yaml()), &obj.Object); err != nil {
		t.Fatalf("decode CRD: %v", err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, &obj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create CRD: %v", err)
	}
	e.waitServed(t, ctx, crd, "v1alpha1", true)

	cm := configMap("keep", map[string]string{"a": "b"})
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "pruned", "-f", writeManifest(t, cm, crd.gadget("v1alpha1", "pruned"))), 0)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "removed", "-f", writeManifest(t, crd.gadget("v1alpha1", "removed"))), 0)

	// Retire v1alpha1.
	crd.served = map[string]bool{"v1": true, "v1alpha1": false}
	live := e.liveCRD(t, ctx, crd.name())
	var upgraded unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(crd.yaml()), &upgraded.Object); err != nil {
		t.Fatalf("decode CRD: %v", err)
	}
	upgraded.SetResourceVersion(live.GetResourceVersion())
	if _, err := dyn.Resource(crdGVR).Update(ctx, &upgraded, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("stop serving v1alpha1: %v", err)
	}
	e.waitServed(t, ctx, crd, "v1alpha1", false)

	exists := func(name string) bool {
		t.Helper()
		g, err := dyn.Resource(crd.gvr("v1")).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false
		}
		if err != nil {
			t.Fatalf("get Gadget %s: %v", name, err)
		}
		return g.GetDeletionTimestamp() == nil
	}

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "pruned", "-f", writeManifest(t, cm))
	wantExit(t, r, 0)
	if exists("pruned") {
		t.Errorf("a deploy without Gadget pruned left it in place (recorded as v1alpha1, served as v1):\n%s\n%s", r.stdout, r.stderr)
	}

	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "removed")
	wantExit(t, r, 0)
	if exists("removed") {
		t.Errorf("uninstall left Gadget removed in place (recorded as v1alpha1, served as v1):\n%s\n%s", r.stdout, r.stderr)
	}
}

// waitServed waits until discovery lists (served) or no longer lists the Gadgets of c in
// version v.
func (e *env) waitServed(t *testing.T, ctx context.Context, c *testCRD, v string, served bool) {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(e.config)
	if err != nil {
		t.Fatalf("discovery client: %v", err)
	}
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		list, err := dc.ServerResourcesForGroupVersion(c.group + "/" + v)
		listed := err == nil && len(list.APIResources) > 0
		return listed == served, nil
	})
	if err != nil {
		t.Fatalf("discovery still says %s/%s served=%t: %v", c.group, v, !served, err)
	}
}
