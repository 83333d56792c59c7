package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// crdGVR is the resource of CustomResourceDefinitions.
var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// testCRD is a namespaced CRD of kind Gadget (plural gadgets) in a group unique to one
// test, served in the given versions (the first is the storage version).
type testCRD struct {
	group    string
	versions []string
	// served, when set, lists the versions served; all of versions otherwise.
	served map[string]bool
	// note is written into the schema's description, so two renderings differ.
	note string
}

// newTestCRD returns a CRD whose group is unique to ns, and removes it (and so its
// custom resources) when the test ends.
func newTestCRD(t *testing.T, e *env, ns string, versions ...string) *testCRD {
	t.Helper()
	c := &testCRD{group: ns + ".e2e.shipsafe.io", versions: versions}
	dyn := e.dynamic(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = dyn.Resource(crdGVR).Delete(ctx, c.name(), metav1.DeleteOptions{})
	})
	return c
}

func (c *testCRD) name() string { return "gadgets." + c.group }

// gvr is the resource of the CRD's custom resources in version v.
func (c *testCRD) gvr(v string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: c.group, Version: v, Resource: "gadgets"}
}

// yaml renders the CRD.
func (c *testCRD) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %s
spec:
  group: %s
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
`, c.name(), c.group)
	for i, v := range c.versions {
		served := c.served == nil || c.served[v]
		fmt.Fprintf(&b, `  - name: %s
    served: %t
    storage: %t
    schema:
      openAPIV3Schema:
        type: object
        description: %q
        x-kubernetes-preserve-unknown-fields: true
`, v, served, i == 0, "gadgets "+c.note)
	}
	return b.String()
}

// gadget renders a Gadget named name in version v.
func (c *testCRD) gadget(v, name string) string {
	return fmt.Sprintf("apiVersion: %s/%s\nkind: Gadget\nmetadata:\n  name: %s\nspec:\n  size: 3\n", c.group, v, name)
}

// gadgets renders n Gadgets in version v named prefix-00, prefix-01, ...
func (c *testCRD) gadgets(v, prefix string, n int) []string {
	docs := make([]string, n)
	for i := range docs {
		docs[i] = c.gadget(v, fmt.Sprintf("%s-%02d", prefix, i))
	}
	return docs
}

// dynamic returns a dynamic client of the test cluster.
func (e *env) dynamic(t *testing.T) dynamic.Interface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(e.config)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	return dyn
}

// liveCRD returns the CRD named name, or nil when it does not exist or is being deleted.
func (e *env) liveCRD(t *testing.T, ctx context.Context, name string) *unstructured.Unstructured {
	t.Helper()
	crd, err := e.dynamic(t).Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		t.Fatalf("get CRD %s: %v", name, err)
	}
	if crd.GetDeletionTimestamp() != nil {
		return nil
	}
	return crd
}

// countGadgets returns how many custom resources of c live in ns, read in version v;
// -1 when the kind is not served (no CRD).
func (e *env) countGadgets(t *testing.T, ctx context.Context, c *testCRD, v, ns string) int {
	t.Helper()
	list, err := e.dynamic(t).Resource(c.gvr(v)).Namespace(ns).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return -1
	}
	if err != nil {
		t.Fatalf("list gadgets in %s: %v", ns, err)
	}
	n := 0
	for _, g := range list.Items {
		if g.GetDeletionTimestamp() == nil {
			n++
		}
	}
	return n
}

// waitGone waits until no object named name of gvr exists (cluster-scoped when ns is "").
func (e *env) waitGone(t *testing.T, ctx context.Context, gvr schema.GroupVersionResource, ns, name string) {
	t.Helper()
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := e.dynamic(t).Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("%s %s is still there: %v", gvr.Resource, name, err)
	}
}

// TestCRDAndItsResourcesInstallTenTimes installs a release holding a CRD and 20 of its
// custom resources, uninstalls it, and does so 10 times in a row: each install must wait
// for the CRD to be Established (and for the API to serve its kind) before applying the
// custom resources, also when the previous uninstall's CRD is still being deleted.
func TestCRDAndItsResourcesInstallTenTimes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	crd := newTestCRD(t, e, ns, "v1")
	manifest := writeManifest(t, append([]string{crd.yaml()}, crd.gadgets("v1", "g", 20)...)...)

	for i := 1; i <= 10; i++ {
		r := e.shipsafe(t, ctx, "-n", ns, "deploy", "gadgets", "-f", manifest)
		if r.code != 0 {
			t.Fatalf("install %d of 10: exit %d, want 0:\n%s", i, r.code, r.stderr)
		}
		if got := e.countGadgets(t, ctx, crd, "v1", ns); got != 20 {
			t.Fatalf("install %d: %d Gadgets in the cluster, want 20", i, got)
		}
		r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "gadgets")
		if r.code != 0 {
			t.Fatalf("uninstall %d of 10: exit %d, want 0:\n%s", i, r.code, r.stderr)
		}
		if e.liveCRD(t, ctx, crd.name()) != nil {
			t.Fatalf("uninstall %d left CRD %s in place", i, crd.name())
		}
	}
}
