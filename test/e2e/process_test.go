package e2e

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a shipsafe process started in the background, for tests that signal it or
// race it against another. Its stdout is read line by line as it comes.
type proc struct {
	t    *testing.T
	args []string
	cmd  *exec.Cmd
	// group: the process leads its own process group (startInShell).
	group bool

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line and at exit
	stderr  strings.Builder
	exited  bool
	res     result
	done    chan struct{}
	// seen is how many lines waitLine has consumed.
	seen int
}

// start runs shipsafe with args (plus the test kubeconfig and CI=true) without waiting
// for it. The process is killed when the test ends if it is still running.
func (e *env) start(t *testing.T, args ...string) *proc {
	t.Helper()
	return e.startCmd(t, exec.Command(e.binary, append([]string{"--kubeconfig", e.kubeconfig}, args...)...), args, false)
}

// startInShell runs shipsafe with args as the command of `bash -c script`, where "$0"
// and "$@" are shipsafe and its arguments, in a process group of its own, as a CI runner
// runs a step's script: signals go to the shell (p.signal) or to the group
// (p.killGroup). With script `exec "$0" "$@"` the shell becomes shipsafe.
func (e *env) startInShell(t *testing.T, script string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"--noprofile", "--norc", "-c", script, e.binary, "--kubeconfig", e.kubeconfig}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return e.startCmd(t, cmd, args, true)
}

// startCmd starts cmd, whose stdout is read line by line; group says it leads its own
// process group, which is then killed whole when the test ends or a wait times out.
func (e *env) startCmd(t *testing.T, cmd *exec.Cmd, args []string, group bool) *proc {
	t.Helper()
	if _, err := os.Stat(e.binary); err != nil {
		t.Fatalf("shipsafe binary missing at %s: run `make build`: %v", e.binary, err)
	}
	p := &proc{t: t, args: args, cmd: cmd, group: group, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "CI=true")
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start shipsafe %v: %v", args, err)
	}
	go p.read(out)
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.kill()
			<-p.done
		}
	})
	return p
}

// kill kills the process, or its whole group when it leads one.
func (p *proc) kill() {
	if p.group {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		return
	}
	_ = p.cmd.Process.Kill()
}

// killGroup sends SIGKILL to the process group the process leads, as a CI runner
// cancels a job (GitLab's shell executor; GitHub's last step).
func (p *proc) killGroup() {
	p.t.Helper()
	if !p.group {
		p.t.Fatal("killGroup: the process does not lead a process group (use startInShell)")
	}
	p.t.Logf("sending SIGKILL to process group %d", p.pid())
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
}

// exitedWithin reports whether the process (and whatever holds its stdout) ends within d.
func (p *proc) exitedWithin(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (p *proc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	case err != nil:
		code = -1
	}
	p.mu.Lock()
	p.exited = true
	p.res = result{code: code, stdout: strings.Join(p.lines, "\n"), stderr: p.stderr.String()}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	close(p.done)
}

// pid is the process id, which shipsafe puts in its lock holder identity.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitLine returns the first line not yet consumed that contains substr, failing the
// test if the process exits or timeout passes first.
func (p *proc) waitLine(substr string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for p.seen < len(p.lines) {
			l := p.lines[p.seen]
			p.seen++
			if strings.Contains(l, substr) {
				p.mu.Unlock()
				return l
			}
		}
		exited, changed := p.exited, p.changed
		p.mu.Unlock()
		if exited {
			p.t.Fatalf("shipsafe %v exited before printing %q:\n%s", p.args, substr, p.output())
		}
		select {
		case <-changed:
		case <-deadline:
			p.t.Fatalf("shipsafe %v did not print %q within %s:\n%s", p.args, substr, timeout, p.output())
		}
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to shipsafe: %v\n%s", sig, err, p.output())
	}
	p.t.Logf("sent %v to shipsafe (pid %d)", sig, p.pid())
}

// wait waits for the process to exit and returns its result, failing the test (and
// killing the process) after timeout.
func (p *proc) wait(timeout time.Duration) result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		<-p.done
		p.t.Fatalf("shipsafe %v still running after %s; killed it:\n%s", p.args, timeout, p.output())
	}
	p.mu.Lock()
	res := p.res
	p.mu.Unlock()
	p.t.Logf("shipsafe %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(p.args, " "), res.code, res.stdout, res.stderr)
	return res
}

// output is what the process printed so far, for failure messages.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "stdout:\n" + strings.Join(p.lines, "\n") + "\nstderr:\n" + p.stderr.String()
}

// lockedWriter serialises writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
