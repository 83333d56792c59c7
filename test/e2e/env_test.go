package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// env is what every e2e test shares: the cluster, the binary, the images built so far.
type env struct {
	kubeconfig string
	config     *rest.Config
	client     kubernetes.Interface
	repo       string
	binary     string
	// extraEnv are added to the environment of every shipsafe run (see withEnv).
	extraEnv []string
}

var (
	setupOnce sync.Once
	shared    env
	setupErr  error
)

// setup returns the shared env, failing the test when there is no cluster.
func setup(t *testing.T) *env {
	t.Helper()
	setupOnce.Do(func() {
		shared.kubeconfig, setupErr = clustertest.KubeconfigPath()
		if setupErr != nil {
			return
		}
		shared.repo, setupErr = clustertest.RepoRoot()
		if setupErr != nil {
			return
		}
		shared.binary = filepath.Join(shared.repo, "bin", "shipsafe")
	})
	if setupErr != nil {
		t.Fatalf("e2e needs the real cluster: %v", setupErr)
	}
	e := shared
	e.config = clustertest.Config(t)
	e.client = clustertest.Clientset(t)
	return &e
}

// image builds testapps/<app> into local.test/<app>:<tag> once per test run.
func (e *env) image(t *testing.T, app, tag string) string {
	t.Helper()
	return clustertest.Image(t, app, tag)
}

// result is one run of the shipsafe binary.
type result struct {
	code           int
	stdout, stderr string
}

// shipsafe runs the binary with the test cluster's kubeconfig and returns its result.
func (e *env) shipsafe(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	if _, err := os.Stat(e.binary); err != nil {
		t.Fatalf("shipsafe binary missing at %s: run `make build` (make e2e does): %v", e.binary, err)
	}
	cmd := exec.CommandContext(ctx, e.binary, append([]string{"--kubeconfig", e.kubeconfig}, args...)...)
	cmd.Env = append(append(os.Environ(), "CI=true"), e.extraEnv...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run shipsafe %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	t.Logf("shipsafe %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// withEnv returns a copy of e whose shipsafe runs also get vars ("NAME=value").
func (e *env) withEnv(vars ...string) *env {
	c := *e
	c.extraEnv = append(append([]string(nil), e.extraEnv...), vars...)
	return &c
}

// deployWeb runs `shipsafe -n ns deploy web -f F`, F holding docs, and returns the result.
func (e *env) deployWeb(t *testing.T, ctx context.Context, ns string, docs ...string) result {
	t.Helper()
	return e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", writeManifest(t, docs...))
}
