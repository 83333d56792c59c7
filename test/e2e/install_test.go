package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// distBuild runs scripts/dist.sh for linux/amd64 only (the cluster's platform; the
// other targets are what `make dist-test` checks) into a temporary directory.
func distBuild(t *testing.T, e *env, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(e.repo, "scripts", "dist.sh"))
	cmd.Dir = e.repo
	cmd.Env = append(os.Environ(), "PLATFORMS=linux/amd64", "DIST="+dir, "VERSION=v0.0.0-e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, out)
	}
	return dir
}

// TestReleaseImageDeploysFromAJob builds shipsafe's release image from the dist binary
// (without a Docker daemon), loads it into the cluster and runs it as a Job under a
// ServiceAccount with a namespaced Role only, as non-root: it deploys a release there.
func TestReleaseImageDeploysFromAJob(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dist := distBuild(t, e, ctx)
	ref := "local.test/shipsafe:e2e-" + ns
	img := exec.CommandContext(ctx, "go", "run", "./cmd/localcluster", "dist-image", ref, dist, filepath.Join(dist, "image.tar"), "import")
	img.Dir = filepath.Join(e.repo, "test", "cluster")
	img.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=0", "VERSION=v0.0.0-e2e", "COMMIT=e2e")
	if out, err := img.CombinedOutput(); err != nil {
		t.Fatalf("dist-image: %v\n%s", err, out)
	}

	w := workload{Name: "web", Image: e.image(t, "naive", "e2e"), Version: "v1", Service: true}
	create := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("create %s: %v", what, err)
		}
	}
	_, err := e.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "release"}, Data: map[string]string{"release.yaml": w.yaml()}}, metav1.CreateOptions{})
	create("configmap", err)
	_, err = e.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{})
	create("serviceaccount", err)
	_, err = e.client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{})
	create("role", err)
	_, err = e.client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}}}, metav1.CreateOptions{})
	create("rolebinding", err)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "deploy-web"},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				ServiceAccountName: "deployer",
				RestartPolicy:      corev1.RestartPolicyNever,
				SecurityContext:    &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
				Containers: []corev1.Container{{
					Name: "shipsafe", Image: ref, ImagePullPolicy: corev1.PullNever,
					Args:         []string{"-n", ns, "deploy", "web", "-f", "/release/release.yaml", "-o", "json"},
					VolumeMounts: []corev1.VolumeMount{{Name: "release", MountPath: "/release"}},
					SecurityContext: &corev1.SecurityContext{
						AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
						Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					},
				}},
				Volumes: []corev1.Volume{{Name: "release", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "release"}}}}},
			}},
		},
	}
	_, err = e.client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	create("job", err)
	var done *batchv1.Job
	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		j, err := e.client.BatchV1().Jobs(ns).Get(ctx, "deploy-web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		done = j
		return j.Status.Succeeded > 0 || j.Status.Failed > 0, nil
	})
	logs := jobLogs(t, e, ns)
	if err != nil || done.Status.Succeeded == 0 {
		t.Fatalf("the shipsafe Job did not succeed (%v): %+v\nlogs:\n%s", err, done.Status, logs)
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	var last struct{ Type, Status string }
	if json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last.Type != "result" || last.Status != "deployed" {
		t.Errorf("the Job's last line is not a deployed result:\n%s", logs)
	}
	if st := e.releaseState(t, ctx, ns, "web"); st.Deployed == nil || st.Deployed.Revision != 1 {
		t.Errorf("release after the Job: %+v", st.Deployed)
	}
}

// jobLogs returns the logs of the deploy-web Job's pods.
func jobLogs(t *testing.T, e *env, ns string) string {
	t.Helper()
	pods, err := e.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "job-name=deploy-web"})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range pods.Items {
		raw, err := e.client.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(context.Background())
		fmt.Fprintf(&b, "%s", raw)
		if err != nil {
			fmt.Fprintf(&b, "(logs of %s: %v; status %+v)\n", p.Name, err, p.Status.ContainerStatuses)
		}
	}
	return b.String()
}

// TestKubectlPlugin runs shipsafe as a kubectl plugin: the binary named kubectl-shipsafe
// on PATH, called through the machine's kubectl.
func TestKubectlPlugin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on this machine")
	}
	ns := clustertest.Namespace(t, e.client)
	dir := t.TempDir()
	if err := os.Symlink(e.binary, filepath.Join(dir, "kubectl-shipsafe")); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "KUBECONFIG="+e.kubeconfig)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("plugin", "list"); !strings.Contains(out, "kubectl-shipsafe") {
		t.Errorf("kubectl plugin list does not show shipsafe:\n%s", out)
	}
	if out := run("shipsafe", "version"); !strings.HasPrefix(out, "shipsafe ") {
		t.Errorf("kubectl shipsafe version: %q", out)
	}
	w := workload{Name: "web", Image: e.image(t, "naive", "e2e"), Version: "v1"}
	out := run("shipsafe", "-n", ns, "deploy", "web", "-f", writeManifest(t, w.yaml()))
	sc := bufio.NewScanner(strings.NewReader(out))
	var deployed bool
	for sc.Scan() {
		deployed = deployed || strings.Contains(sc.Text(), `release "web" revision 1 deployed`)
	}
	if !deployed {
		t.Errorf("kubectl shipsafe deploy:\n%s", out)
	}
}
