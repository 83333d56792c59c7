package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// ciStep is one shell step of a CI template, with its environment, ready to run as the
// runner runs it.
type ciStep struct {
	script string
	env    map[string]string
}

// loadYAML reads a template file of the repository.
func loadYAML(t *testing.T, repo, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

var ciExpr = regexp.MustCompile(`\$\{\{\s*([a-zA-Z_.-]+)\s*\}\}`)

// expand replaces the template expressions ${{ name }} with values, failing the test on
// one it does not know (so the test runs what the template really says).
func expand(t *testing.T, s string, values map[string]string) string {
	t.Helper()
	return ciExpr.ReplaceAllStringFunc(s, func(m string) string {
		name := ciExpr.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			t.Fatalf("template expression %s has no test value", m)
		}
		return v
	})
}

func stepOf(t *testing.T, m map[string]any, script string, values map[string]string) ciStep {
	t.Helper()
	s := ciStep{script: expand(t, script, values), env: map[string]string{}}
	if env, ok := m["env"].(map[string]any); ok {
		for k, v := range env {
			s.env[k] = expand(t, fmt.Sprint(v), values)
		}
	}
	return s
}

// githubDeployStep is action.yml's deploy step.
func githubDeployStep(t *testing.T, repo string, inputs map[string]string) ciStep {
	t.Helper()
	doc := loadYAML(t, repo, "action.yml")
	values := map[string]string{"github.action_path": repo}
	for k, v := range inputs {
		values["inputs."+k] = v
	}
	for _, s := range doc["runs"].(map[string]any)["steps"].([]any) {
		m := s.(map[string]any)
		if m["id"] == "deploy" {
			if m["shell"] != "bash" {
				t.Fatalf("deploy step shell %v, want bash", m["shell"])
			}
			return stepOf(t, m, m["run"].(string), values)
		}
	}
	t.Fatal("action.yml has no step with id deploy")
	return ciStep{}
}

// gitlabStep is the GitLab template's job script, with its variables.
func gitlabStep(t *testing.T, repo string, vars map[string]string) ciStep {
	t.Helper()
	job := loadYAML(t, repo, "ci/gitlab/shipsafe.gitlab-ci.yml")[".shipsafe-deploy"].(map[string]any)
	var lines []string
	for _, l := range job["script"].([]any) {
		lines = append(lines, l.(string))
	}
	s := ciStep{script: strings.Join(lines, "\n"), env: map[string]string{}}
	for k, v := range job["variables"].(map[string]any) {
		s.env[k] = fmt.Sprint(v)
	}
	for k, v := range vars {
		s.env[k] = v
	}
	return s
}

// azureStep is the Bash@3 step of the Azure template's job (deploy or rollback).
func azureStep(t *testing.T, repo, job string, params map[string]string) ciStep {
	t.Helper()
	doc := loadYAML(t, repo, "ci/azure/shipsafe.azure-pipelines.yml")
	values := map[string]string{}
	for k, v := range params {
		values["parameters."+k] = v
	}
	var jobs []any
	for _, j := range doc["stages"].([]any)[0].(map[string]any)["jobs"].([]any) {
		for k, v := range j.(map[string]any) {
			if list, ok := v.([]any); ok && strings.HasPrefix(k, "${{") { // a conditional list of jobs
				jobs = append(jobs, list...)
			}
		}
		jobs = append(jobs, j)
	}
	for _, j := range jobs {
		m := j.(map[string]any)
		if m["job"] != job {
			continue
		}
		for _, st := range m["steps"].([]any) {
			sm := st.(map[string]any)
			if sm["task"] == "Bash@3" {
				return stepOf(t, sm, sm["inputs"].(map[string]any)["script"].(string), values)
			}
		}
	}
	t.Fatalf("no Bash@3 step in Azure job %s", job)
	return ciStep{}
}

// ciRun is a template step running as a runner runs it: the script in a file run by a
// top shell in its own process group, stdout read line by line.
type ciRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	done chan struct{}
	code int
}

func (e *env) runStep(t *testing.T, s ciStep, runnerEnv map[string]string) *ciRun {
	t.Helper()
	file := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(file, []byte(s.script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &ciRun{t: t, done: make(chan struct{})}
	r.cmd = exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", file)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := append(os.Environ(), "PATH="+filepath.Join(e.repo, "bin")+":"+os.Getenv("PATH"), "KUBECONFIG="+e.kubeconfig)
	for k, v := range s.env {
		env = append(env, k+"="+v)
	}
	for k, v := range runnerEnv {
		env = append(env, k+"="+v)
	}
	r.cmd.Env = env
	pipe, pw, err := os.Pipe() // stdout and stderr interleaved, as in a job log
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.mu.Lock()
			r.out = append(r.out, sc.Text())
			r.mu.Unlock()
		}
		pipe.Close()
		err := r.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.code = 128 + int(ws.Signal())
			}
		}
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	})
	return r
}

func (r *ciRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.out, "\n")
}

// waitFor waits until the output has a line containing s.
func (r *ciRun) waitFor(s string, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(r.output(), s) {
			return
		}
		select {
		case <-r.done:
			r.t.Fatalf("step exited (code %d) before printing %q:\n%s", r.code, s, r.output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.t.Fatalf("step did not print %q within %s:\n%s", s, timeout, r.output())
}

// exited waits up to d for the step to end.
func (r *ciRun) exited(d time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(d):
		return false
	}
}

// wait waits for the step to end and returns its exit code.
func (r *ciRun) wait(timeout time.Duration) int {
	r.t.Helper()
	if !r.exited(timeout) {
		r.t.Fatalf("step still running after %s:\n%s", timeout, r.output())
	}
	r.t.Logf("step exited %d:\n%s", r.code, r.output())
	return r.code
}

func (r *ciRun) signal(sig syscall.Signal) {
	r.t.Logf("sending %v to the step's top shell (pid %d)", sig, r.cmd.Process.Pid)
	_ = r.cmd.Process.Signal(sig)
}

func (r *ciRun) killGroup() {
	r.t.Logf("sending SIGKILL to the step's process group %d", r.cmd.Process.Pid)
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
}

// releaseState is `shipsafe status -o json` reduced to what consistency needs.
type releaseState struct {
	Deployed *struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
	} `json:"deployed"`
	Latest *struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
	} `json:"latest"`
}

func (e *env) releaseState(t *testing.T, ctx context.Context, ns, rel string) releaseState {
	t.Helper()
	r := e.shipsafe(t, ctx, "-n", ns, "status", rel, "-o", "json")
	var st releaseState
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
		t.Fatalf("status %s: exit %d\n%s%s", rel, r.code, r.stdout, r.stderr)
	}
	return st
}

// ciWorkloads returns a fast release (naive) and a slow one (ready after 20 s), so a
// cancel lands while the slow one is being tracked.
func ciWorkloads(t *testing.T, e *env, version string, slow bool) string {
	t.Helper()
	w := workload{Name: "web", Image: e.image(t, "naive", "e2e"), Version: version, Service: true}
	if slow {
		w.Image, w.ReadyAfter = e.image(t, "slowstart", "e2e"), 20
	}
	return writeManifest(t, w.yaml())
}

// TestGitHubActionCancel runs action.yml's deploy step with GitHub's environment, then
// cancels it mid-deploy as the runner does (SIGINT to the step's shell; SIGTERM 7.5 s
// later; SIGKILL of the tree 2.5 s after that). The signal must reach shipsafe, which
// rolls back before the SIGTERM; the step writes its summary and an ::error::
// annotation; the release is consistent and the next run deploys.
func TestGitHubActionCancel(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", ciWorkloads(t, e, "v1", false)); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	tmp := t.TempDir()
	summary, output := filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "output")
	runner := map[string]string{"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary,
		"GITHUB_OUTPUT": output, "RUNNER_TEMP": tmp, "GITHUB_WORKSPACE": tmp}
	step := func(manifest string) ciStep {
		return githubDeployStep(t, e.repo, map[string]string{"command": "deploy", "release": "web", "namespace": ns,
			"args": "-f " + manifest, "lock-wait": "60s"})
	}

	run := e.runStep(t, step(ciWorkloads(t, e, "v2", true)), runner)
	run.waitFor("applied", time.Minute)
	time.Sleep(time.Second)
	run.signal(syscall.SIGINT)
	escalated := ""
	if !run.exited(7500 * time.Millisecond) {
		escalated = "SIGTERM"
		run.signal(syscall.SIGTERM)
		if !run.exited(2500 * time.Millisecond) {
			escalated = "SIGKILL"
			run.killGroup()
		}
	}
	code := run.wait(time.Minute)
	if escalated != "" {
		t.Fatalf("the step did not end within 7.5 s of SIGINT (runner sent %s): the signal did not reach shipsafe, or its rollback is too slow", escalated)
	}
	if code != 1 {
		t.Errorf("cancelled step exit %d, want 1 (rolled back)", code)
	}
	if out := run.output(); !strings.Contains(out, "::error title=shipsafe deploy web%3A rolled-back::") {
		t.Errorf("no ::error:: annotation for the cancelled deploy:\n%s", out)
	}
	b, _ := os.ReadFile(summary)
	if !strings.Contains(string(b), "failed and was rolled back to revision 1") {
		t.Errorf("step summary:\n%s", b)
	}
	if st := e.releaseState(t, ctx, ns, "web"); st.Latest == nil || st.Latest.Status == "pending" || st.Deployed == nil || st.Deployed.Revision != 1 {
		t.Errorf("after the cancel the release is not consistent: %+v", st)
	}

	next := e.runStep(t, step(ciWorkloads(t, e, "v3", false)), runner)
	if code := next.wait(2 * time.Minute); code != 0 {
		t.Fatalf("next deploy after the cancel: exit %d", code)
	}
	out, _ := os.ReadFile(output)
	if !strings.Contains(string(out), "status=deployed") || !strings.Contains(string(out), "exit-code=0") {
		t.Errorf("step outputs:\n%s", out)
	}
}

// TestGitLabTemplateKilled runs the GitLab template's script with GitLab's environment
// and SIGKILLs its process group mid-deploy, as the shell executor cancels a job. The
// killed revision stays pending; the next pipeline's job waits for the lease, restores
// it and deploys. The log has collapsible sections.
func TestGitLabTemplateKilled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", ciWorkloads(t, e, "v1", false)); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	dir := t.TempDir()
	runner := map[string]string{"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": dir, "CI_JOB_ID": "4711", "CI_SERVER": "yes"}
	step := func(manifest string) ciStep {
		return gitlabStep(t, e.repo, map[string]string{"SHIPSAFE_RELEASE": "web", "SHIPSAFE_NAMESPACE": ns, "SHIPSAFE_ARGS": "-f " + manifest})
	}
	run := e.runStep(t, step(ciWorkloads(t, e, "v2", true)), runner)
	run.waitFor("applied", time.Minute)
	run.killGroup()
	run.wait(30 * time.Second)
	if out := run.output(); !strings.Contains(out, "section_start:") || !strings.Contains(out, "[collapsed=true]") {
		t.Errorf("no collapsible section in the job log:\n%q", out)
	}
	if st := e.releaseState(t, ctx, ns, "web"); st.Latest == nil || st.Latest.Status != "pending" {
		t.Errorf("after SIGKILL the latest revision is %+v, want pending (the kill must land mid-deploy)", st.Latest)
	}

	next := e.runStep(t, step(ciWorkloads(t, e, "v3", false)), runner)
	if code := next.wait(2 * time.Minute); code != 0 {
		t.Fatalf("next job after the kill: exit %d", code)
	}
	if out := next.output(); !strings.Contains(out, "section_end:") || !strings.Contains(out, `"web" revision 3 deployed`) ||
		!strings.Contains(out, "recovered interrupted revision 2 first") {
		t.Errorf("next job log:\n%s", out)
	}
	st := e.releaseState(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Status != "deployed" || st.Deployed == nil || st.Deployed.Revision != st.Latest.Revision {
		t.Errorf("after the next job the release is not consistent: %+v %+v", st.Deployed, st.Latest)
	}
	if _, err := os.Stat(filepath.Join(dir, "shipsafe-report.json")); err != nil {
		t.Errorf("no report artifact: %v", err)
	}
}

// TestAzurePipelineApprovalFlow runs the Azure template's jobs as the agent does: a
// deploy with --rollback=never that fails leaves its revision (exit 3), the rollback
// job (after approval) restores and health-checks the release; a deploy cancelled with
// SIGTERM to the step's shell stops and leaves no pending revision; the next deploy
// works.
func TestAzurePipelineApprovalFlow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	runner := map[string]string{"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": tmp, "BUILD_SOURCESDIRECTORY": tmp, "SYSTEM_TEAMPROJECT": "shop"}
	params := func(manifest string) map[string]string {
		return map[string]string{"release": "web", "namespace": ns, "args": "-f " + manifest, "lockWait": "60s"}
	}
	if code := e.runStep(t, azureStep(t, e.repo, "deploy", params(ciWorkloads(t, e, "v1", false))), runner).wait(2 * time.Minute); code != 0 {
		t.Fatalf("first deploy job: exit %d", code)
	}
	crash := writeManifest(t, workload{Name: "web", Image: e.image(t, "crash", "e2e"), Version: "v2", Service: true}.yaml())
	failed := e.runStep(t, azureStep(t, e.repo, "deploy", params(crash)), runner)
	if code := failed.wait(2 * time.Minute); code != 3 {
		t.Fatalf("failing deploy job: exit %d, want 3 (left in place)", code)
	}
	if out := failed.output(); !strings.Contains(out, "##vso[task.setvariable variable=exitCode;isOutput=true]3") || !strings.Contains(out, "##vso[task.logissue type=error]") {
		t.Errorf("deploy job log lacks the exit code variable or the error:\n%s", out)
	}
	rb := e.runStep(t, azureStep(t, e.repo, "rollback", params("")), runner)
	if code := rb.wait(2 * time.Minute); code != 0 {
		t.Fatalf("rollback job: exit %d", code)
	}
	if !strings.Contains(rb.output(), "is healthy at revision 3") {
		t.Errorf("rollback job did not report a healthy release:\n%s", rb.output())
	}

	run := e.runStep(t, azureStep(t, e.repo, "deploy", params(ciWorkloads(t, e, "v4", true))), runner)
	run.waitFor("applied", time.Minute)
	run.signal(syscall.SIGTERM)
	if !run.exited(time.Minute) {
		run.killGroup()
		t.Fatal("the deploy job did not end within a minute of SIGTERM")
	}
	run.wait(time.Second)
	if st := e.releaseState(t, ctx, ns, "web"); st.Latest == nil || st.Latest.Status == "pending" {
		t.Errorf("after SIGTERM the latest revision is pending: %+v", st.Latest)
	}
	if code := e.runStep(t, azureStep(t, e.repo, "deploy", params(ciWorkloads(t, e, "v5", false))), runner).wait(2 * time.Minute); code != 0 {
		t.Fatalf("deploy job after the cancel: exit %d", code)
	}
}
