package helm

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// packageChart packs the chart directory dir into a .tgz under a temporary directory.
func packageChart(t *testing.T, dir string) string {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCapabilitiesFromDiscovery(t *testing.T) {
	t.Parallel()
	dc := &fakediscovery.FakeDiscovery{
		Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
			{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{{Name: "widgets", Kind: "Widget"}}},
			{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod"}}},
		}},
		FakedServerVersion: &version.Info{Major: "1", Minor: "34", GitVersion: "v1.34.2+vendor.1"},
	}
	r := render(t, Chart{Path: webChart, Release: "web", Cluster: &Cluster{Discovery: dc}})
	data := configData(t, r, "web")
	if data["kubeVersion"] != "v1.34.2+vendor.1" {
		t.Errorf("kubeVersion = %q, want the server's gitVersion", data["kubeVersion"])
	}
	if data["hasWidgets"] != "true" {
		t.Errorf("hasWidgets = %q, want true from discovery", data["hasWidgets"])
	}
	// Without a rest config lookup stays offline.
	if data["lookup"] != "absent" {
		t.Errorf("lookup = %q, want absent", data["lookup"])
	}
}

func TestCapabilitiesKubeVersionConstraint(t *testing.T) {
	t.Parallel()
	caps, err := capabilities(&fakediscovery.FakeDiscovery{
		Fake:               &clienttesting.Fake{},
		FakedServerVersion: &version.Info{Major: "1", Minor: "34", GitVersion: "v1.34.2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if caps.KubeVersion.String() != "v1.34.2" || caps.KubeVersion.Major != "1" || caps.KubeVersion.Minor != "34" {
		t.Errorf("kube version = %+v", caps.KubeVersion)
	}
	if !caps.APIVersions.Has("v1") {
		t.Errorf("an empty discovery answer should give Helm's default version set, got %v", caps.APIVersions)
	}
}
