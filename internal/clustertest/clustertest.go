// Package clustertest gives tests the project's real local cluster.
//
// The kubeconfig comes from SHIPSAFE_TEST_KUBECONFIG, or else from .cluster/kubeconfig at
// the repository root, which `make cluster-up` writes. A test that needs the cluster and
// finds none fails, naming the command that brings one up; under `go test -short` it is
// skipped with that message instead, so pure unit runs stay fast.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// EnvKubeconfig names the variable that points tests at an existing cluster.
const EnvKubeconfig = "SHIPSAFE_TEST_KUBECONFIG"

// KubeconfigPath returns the kubeconfig tests use, or an error saying how to get one.
func KubeconfigPath() (string, error) {
	if p := os.Getenv(EnvKubeconfig); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvKubeconfig, p, err)
		}
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".cluster", "kubeconfig")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no test cluster: %s is missing; run `make cluster-up` or set %s", p, EnvKubeconfig)
	}
	return p, nil
}

// RepoRoot finds the repository root by walking up to the directory holding .git or go.mod
// of the main module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/shipsafe/shipsafe\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod of github.com/shipsafe/shipsafe above the working directory")
		}
		dir = parent
	}
}

// Config returns a rest.Config for the test cluster, failing (or skipping under -short) the
// test when there is none.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	path, err := KubeconfigPath()
	if err != nil {
		if testing.Short() {
			t.Skipf("skipped under -short: %v", err)
		}
		t.Fatalf("this test needs the real cluster: %v", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", path, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg
}

// Clientset returns a typed client for the test cluster.
func Clientset(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(Config(t))
	if err != nil {
		t.Fatalf("build clientset: %v", err)
	}
	return cs
}

// Namespace creates a fresh namespace named after the test and deletes it when the test ends.
func Namespace(t testing.TB, cs kubernetes.Interface) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "t-" + sanitize(t.Name()) + "-",
		Labels:       map[string]string{"shipsafe.io/test": "true"},
	}}
	created, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create test namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cs.CoreV1().Namespaces().Delete(ctx, created.Name, metav1.DeleteOptions{})
	})
	return created.Name
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	return s
}

// images remembers the test images built by this test process.
var images sync.Map // "app:tag" -> *imageBuild

type imageBuild struct {
	once sync.Once
	err  error
}

// Image builds testapps/<app> into the cluster's containerd as local.test/<app>:<tag>
// (with `localcluster image`, as `make image` does), once per test process, and returns
// the reference. A cluster test uses it for every image it runs, so it never depends on
// images built by hand or by another test package.
func Image(t testing.TB, app, tag string) string {
	t.Helper()
	v, _ := images.LoadOrStore(app+":"+tag, &imageBuild{})
	b := v.(*imageBuild)
	b.once.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			b.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "run", "./cmd/localcluster", "image", app, tag)
		cmd.Dir = filepath.Join(root, "test", "cluster")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build image %s:%s: %v\n%s", app, tag, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return "local.test/" + app + ":" + tag
}
