package dist

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// platforms are the targets built twice. Two, not all five: every target is a full
// cross-compile (minutes each on a 2-core machine), and what makes a build reproducible
// (-trimpath, an empty build id, the commit's date, no VCS stamping, CGO off, fixed
// archive metadata) is the same flags for every target. `make dist` builds all five.
var platforms = "linux/amd64 linux/arm64"

func dist(t *testing.T, repo, out string) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "dist.sh"))
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "PLATFORMS="+platforms, "DIST="+out, "VERSION=v1.2.3", "DIST_URL=https://example.invalid/v1.2.3")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, b)
	}
}

// TestDistIsReproducible runs the release build twice, into two directories, and
// compares every file byte for byte; the binary runs and shows the stamped version;
// SHA256SUMS and the krew manifest name every archive.
func TestDistIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the release binaries twice; run with `make dist-test`")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), t.TempDir()
	dist(t, repo, a)
	dist(t, repo, b)
	files, _ := os.ReadDir(a)
	if len(files) != 6 { // 2 binaries, 2 archives, SHA256SUMS, krew manifest
		t.Errorf("dist made %d files, want 6: %v", len(files), files)
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a, f.Name()))
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same commit (%v)", f.Name(), err)
		}
	}
	out, err := exec.Command(filepath.Join(a, "shipsafe-linux-amd64"), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "shipsafe v1.2.3 (commit ") {
		t.Errorf("shipsafe version: %q, %v", out, err)
	}
	sums, _ := os.ReadFile(filepath.Join(a, "SHA256SUMS"))
	var krew struct {
		Spec struct {
			Version   string
			Platforms []struct {
				URI, Sha256, Bin string
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join(a, "shipsafe.krew.yaml"))
	if err := yaml.Unmarshal(raw, &krew); err != nil {
		t.Fatalf("krew manifest: %v\n%s", err, raw)
	}
	if krew.Spec.Version != "v1.2.3" || len(krew.Spec.Platforms) != 2 {
		t.Errorf("krew manifest:\n%s", raw)
	}
	for _, p := range krew.Spec.Platforms {
		if !strings.Contains(string(sums), p.Sha256+"  "+filepath.Base(p.URI)) || p.Bin != "shipsafe" {
			t.Errorf("krew platform %+v does not match SHA256SUMS:\n%s", p, sums)
		}
	}
}
