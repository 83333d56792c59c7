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
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g history-limit 10000\n"), 0o644); err != nil {
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

// tableRow matches a line of the live table below its header: an object, then a status.
var tableRow = regexp.MustCompile(`^\S+ +(Ready|Progressing|Failed|deleted|pruned)( |$)`)

// TestLiveTableOnShortTerminal deploys 60 objects (10 Deployments with Services, 40
// ConfigMaps) in tmux at 80x24, where the table is cut to fit and fills the screen: no
// earlier frame, and no part of one, is left in the scrollback (tmux pushes the screen
// there when it is erased from its top-left corner), the last frame fits the terminal
// and sums up the hidden rows, and the summary below it lists every object.
func TestLiveTableOnShortTerminal(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	var docs []string
	for i := 1; i <= 10; i++ {
		docs = append(docs, workload{Name: fmt.Sprintf("web-%d", i), Image: img, Version: "v1", Service: true}.yaml())
	}
	docs = append(docs, configMaps("settings", 40)...)
	manifest := writeManifest(t, docs...)
	ns := clustertest.Namespace(t, e.client)
	const cols, paneLines = 80, 24
	screen, history := tmuxDeploy(t, e, ns, manifest, cols, paneLines)
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("deploy failed:\n%s", history)
	}
	wantCleanScreen(t, history, cols)

	lines := strings.Split(history, "\n")
	head, sum := -1, -1
	var stray []string
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "OBJECT  "):
			head = i
		case regexp.MustCompile(`^\d+/\d+ ready`).MatchString(l):
			if sum >= 0 {
				t.Errorf("an earlier frame's summary line is left in the history: %q", lines[sum])
			}
			sum = i
		case tableRow.MatchString(l) && (head < 0 || sum >= 0):
			stray = append(stray, l)
		}
	}
	if head < 0 || sum < head {
		t.Fatalf("no complete table in the history:\n%s", history)
	}
	if len(stray) > 0 {
		t.Errorf("%d rows of earlier frames are left outside the last table, e.g. %q:\n%s", len(stray), stray[0], history)
	}
	if n := sum - head + 1; n > paneLines-1 {
		t.Errorf("the last frame has %d lines, want at most %d (the pane has %d): the terminal scrolled under it", n, paneLines-1, paneLines)
	}
	if want := regexp.MustCompile(`^60/60 ready, \d+ more not shown, \d+\.\ds$`); !want.MatchString(lines[sum]) {
		t.Errorf("summary line %q, want 60/60 ready with the hidden rows counted", lines[sum])
	}
	rest := strings.Join(lines[sum+1:], "\n")
	if n := strings.Count(rest, "\n  ready "); n != 60 {
		t.Errorf("the summary after the table lists %d ready objects, want 60:\n%s", n, rest)
	}
	if !strings.Contains(rest, `release "web" revision 1 deployed in`) {
		t.Errorf("no final deployed line after the table:\n%s", rest)
	}
}
