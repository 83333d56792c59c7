package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// scaffoldChart writes the chart `helm create NAME` scaffolds (Deployment, Service,
// ServiceAccount, a test hook Pod, NOTES.txt) into a temporary directory, with the Helm
// SDK that `helm create` itself calls.
func scaffoldChart(t *testing.T, name string) string {
	t.Helper()
	dir, err := chartutil.Create(name, t.TempDir())
	if err != nil {
		t.Fatalf("helm create %s: %v", name, err)
	}
	return dir
}

// scaffoldImage returns --set flags that run the scaffold chart on a local test image:
// the scaffold's nginx cannot be pulled here, and the test apps listen on 8080.
func scaffoldImage(image string) []string {
	repo, tag, _ := strings.Cut(image, ":")
	return []string{"--set", "image.repository=" + repo + ",image.tag=" + tag + ",service.port=8080"}
}

// TestHelmCreateChartDeploysUnchanged deploys and upgrades the chart `helm create`
// scaffolds with no extra flag: its test hook is recorded with the revision and not run,
// as Helm does.
func TestHelmCreateChartDeploysUnchanged(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	chart := scaffoldChart(t, "web")

	deploy := func(extra ...string) result {
		args := append([]string{"-n", ns, "deploy", "web", "--chart", chart, "--timeout", "2m"}, scaffoldImage(naive)...)
		return e.shipsafe(t, ctx, append(args, extra...)...)
	}
	wantExit(t, deploy(), 0)
	wantExit(t, deploy("--set", "replicaCount=2"), 0)

	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	must(t, err)
	if d.Status.ReadyReplicas != 2 || d.Spec.Template.Spec.Containers[0].Image != naive {
		t.Errorf("Deployment web after the upgrade: %d ready, image %s; want 2 ready of %s",
			d.Status.ReadyReplicas, d.Spec.Template.Spec.Containers[0].Image, naive)
	}
	if _, err := e.client.CoreV1().Pods(ns).Get(ctx, "web-test-connection", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the test hook Pod web-test-connection was created by a deploy (err %v)", err)
	}
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 2 {
		t.Fatalf("deployed = %+v, want revision 2", st.Deployed)
	}
	wantContains(t, "revision 2 objects", strings.Join(st.Deployed.Objects, "\n"), "Deployment "+ns+"/web", "Service "+ns+"/web", "ServiceAccount "+ns+"/web")
}
