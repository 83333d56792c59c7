package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// ensureTmux finds tmux, installing it with apt-get when missing (idempotent).
func ensureTmux(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("tmux"); err == nil {
		return p
	}
	if out, err := exec.Command("apt-get", "install", "-y", "tmux").CombinedOutput(); err != nil {
		t.Fatalf("tmux is missing and apt-get install tmux failed: %v\n%s", err, out)
	}
	p, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tmuxDeploy runs `shipsafe deploy` in a detached tmux session of cols x lines (a real
// terminal: TERM=xterm-256color, no CI) and returns the visible screen and the whole
// history (scrollback and screen) once it has exited.
func tmuxDeploy(t *testing.T, e *env, ns, manifest string, cols, lines int) (screen, history string) {
	t.Helper()
	tmux := ensureTmux(t)
	sock := fmt.Sprintf("shipsafe-%s-%d", ns, cols)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	shell := fmt.Sprintf("env -u CI TERM=xterm-256color NO_COLOR=1 %s --kubeconfig %s -n %s deploy web -f %s; echo EXIT=$?; sleep 300",
		e.binary, e.kubeconfig, ns, manifest)
	// No status line: the pane is then the whole cols x lines window.
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("-f", conf, "new-session", "-d", "-s", "deploy", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(lines), shell)
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", sock, "kill-server").Run() })
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(screen, "EXIT=") {
		if time.Now().After(deadline) {
			t.Fatalf("deploy in tmux did not finish:\n%s", screen)
		}
		time.Sleep(500 * time.Millisecond)
		screen = run("capture-pane", "-p", "-t", "deploy")
	}
	return screen, run("capture-pane", "-p", "-S", "-", "-t", "deploy")
}

var (
	seconds = regexp.MustCompile(`\d+\.\ds`)
	counts  = regexp.MustCompile(`\d+/\d+ (replicas|ready endpoints)`)
)

// finalTable returns the last table on screen, normalised for comparison: the namespace
// as NS, times as N.Ns, rows sorted (objects appear in the order they are first seen).
func finalTable(t *testing.T, screen, ns string) string {
	t.Helper()
	lines := strings.Split(screen, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "OBJECT") {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("no table on screen:\n%s", screen)
	}
	var rows []string
	end := start + 1
	for ; end < len(lines) && !regexp.MustCompile(`^\d+/\d+ ready`).MatchString(lines[end]); end++ {
		rows = append(rows, lines[end])
	}
	if end == len(lines) {
		t.Fatalf("table without a summary line:\n%s", screen)
	}
	sort.Strings(rows)
	block := append(append([]string{lines[start]}, rows...), lines[end])
	out := strings.Join(block, "\n")
	out = strings.ReplaceAll(out, ns, "NS")
	// A name cut in the middle on a narrow terminal keeps a random part of the namespace.
	out = regexp.MustCompile(`\S*…[^/\s]*/`).ReplaceAllString(out, "…/")
	out = seconds.ReplaceAllString(out, "N.Ns")
	out = counts.ReplaceAllString(out, "N/N $1")
	// Times have different widths (9.9s, 10.0s): compare the cells, not the padding.
	return regexp.MustCompile(` +`).ReplaceAllString(out, " ") + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update to write it)", path, err)
	}
	if string(want) != got {
		t.Errorf("screen differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// wantCleanScreen checks what a garbled redraw shows: a table line as wide as the
// terminal (it may have wrapped), or an earlier frame of the table left in the history.
func wantCleanScreen(t *testing.T, history string, cols int) {
	t.Helper()
	in := false
	for _, l := range strings.Split(history, "\n") {
		if strings.HasPrefix(l, "OBJECT") {
			in = true
		}
		if in && len([]rune(l)) >= cols {
			t.Errorf("a table line fills the %d-column terminal (it may have wrapped): %q", cols, l)
		}
		if regexp.MustCompile(`^\d+/\d+ ready`).MatchString(l) {
			in = false
		}
	}
	if n := strings.Count(history, "OBJECT  "); n != 1 {
		t.Errorf("the history holds %d table headers, want 1 (earlier frames were not erased):\n%s", n, history)
	}
}

// TestLiveTableInTmux deploys 6 Deployments and 6 Services in a real terminal at 80x24
// and at 200x50 and compares the final table with golden screens; every frame was
// erased before the next.
func TestLiveTableInTmux(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	var docs []string
	for i := 1; i <= 6; i++ {
		docs = append(docs, workload{Name: fmt.Sprintf("web-%d", i), Image: img, Version: "v1", Service: true}.yaml())
	}
	manifest := writeManifest(t, docs...)
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			ns := clustertest.Namespace(t, e.client)
			screen, history := tmuxDeploy(t, e, ns, manifest, size[0], size[1])
			if !strings.Contains(screen, "EXIT=0") {
				t.Fatalf("deploy failed:\n%s", history)
			}
			wantCleanScreen(t, history, size[0])
			golden(t, fmt.Sprintf("tmux-%dx%d.golden", size[0], size[1]), finalTable(t, history, ns))
		})
	}
}
