package dist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// allPlatforms are the release targets, as scripts/dist.sh builds them by default.
// SHIPSAFE_DIST_PLATFORMS narrows a run (say to "linux/amd64" for a quick check); a
// full run builds every target twice: with a warm build cache that is ten links
// (3 minutes 14 s on the loaded 2-core machine on 2026-11-27), with a cold one add a
// full cross-compile per target (14 to 20 minutes each for darwin and windows there).
const allPlatforms = "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"

// builder is the environment of one release build: a umask, time zone, locale and
// extra environment variables.
type builder struct {
	umask, tz, locale string
	env               []string
}

// dist runs scripts/dist.sh into out as the builder, and returns how long it took.
func dist(t *testing.T, repo, out, platforms string, on builder) time.Duration {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("bash", "-c", "umask "+on.umask+" && exec bash scripts/dist.sh")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "PLATFORMS="+platforms, "DIST="+out, "VERSION=v1.2.3",
		"DIST_URL=https://example.invalid/v1.2.3", "TZ="+on.tz, "LC_ALL="+on.locale)
	cmd.Env = append(cmd.Env, on.env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh (umask %s, %s): %v\n%s", on.umask, on.env, err, b)
	}
	return time.Since(start)
}

// goEnvWithFlags returns a go env file (GOENV) like the user's, with GOFLAGS set to
// flags: a builder who ran `go env -w GOFLAGS=...`.
func goEnvWithFlags(t *testing.T, flags string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env GOENV: %v", err)
	}
	var lines []string
	if b, err := os.ReadFile(strings.TrimSpace(string(out))); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && !strings.HasPrefix(l, "GOFLAGS=") {
				lines = append(lines, l)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte(strings.Join(append(lines, "GOFLAGS="+flags), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func git(t *testing.T, repo string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestDistIsReproducible runs the release build twice, into two directories, the second
// under another umask, time zone, locale and `go env -w GOFLAGS` (as on another
// builder's machine), and
// compares every file byte for byte. It then checks what a user gets: every binary is
// static and stripped, the linux/amd64 one shows the stamped version, commit and date,
// every archive holds the binary under its plain name and the licence with fixed
// metadata, and SHA256SUMS and the krew manifest name every archive with its checksum.
func TestDistIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the release binaries twice; run with `make dist-test`")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	platforms := allPlatforms
	if p := os.Getenv("SHIPSAFE_DIST_PLATFORMS"); p != "" {
		platforms = p
	}
	targets := strings.Fields(platforms)
	a, b := t.TempDir(), t.TempDir()
	t.Logf("first build (%s): %s", platforms, dist(t, repo, a, platforms, builder{umask: "022", tz: "UTC", locale: "C"}))
	other := builder{umask: "077", tz: "Asia/Kathmandu", locale: "C.UTF-8", env: []string{"GOENV=" + goEnvWithFlags(t, "-tags=another_builders_tag")}}
	t.Logf("second build (umask 077, GOFLAGS from go env -w): %s", dist(t, repo, b, platforms, other))

	var want []string
	for _, p := range targets {
		name := "shipsafe-" + strings.ReplaceAll(p, "/", "-")
		bin := name
		if strings.HasPrefix(p, "windows/") {
			bin += ".exe"
		}
		want = append(want, bin, name+".tar.gz")
	}
	want = append(want, "SHA256SUMS", "shipsafe.krew.yaml")
	slices.Sort(want)
	for _, dir := range []string{a, b} {
		entries, _ := os.ReadDir(dir)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("dist made %v, want %v", got, want)
		}
	}
	for _, name := range want {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same commit (%v)", name, err)
		}
	}

	epoch := git(t, repo, "log", "-1", "--format=%ct")
	for _, p := range targets {
		checkBinary(t, a, p)
		checkArchive(t, a, p, epoch)
		checkArchive(t, b, p, epoch)
	}

	if slices.Contains(targets, "linux/amd64") {
		out, err := exec.Command(filepath.Join(a, "shipsafe-linux-amd64"), "version").Output()
		date := git(t, repo, "log", "-1", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", "--format=%cd")
		wantVersion := regexp.MustCompile(`^shipsafe v1\.2\.3 \(commit ` + git(t, repo, "rev-parse", "HEAD") + `, ` + regexp.QuoteMeta(date) + `\) go\S+ linux/amd64\n$`)
		if err != nil || !wantVersion.Match(out) {
			t.Errorf("shipsafe version: %q, %v; want it to match %s", out, err, wantVersion)
		}
	}

	checkKrew(t, a, targets)
}

// checkBinary checks that the target's binary is static (linux: no interpreter; darwin
// binaries always link the system library) and stripped (no symbol table).
func checkBinary(t *testing.T, dir, platform string) {
	t.Helper()
	goos, goarch, _ := strings.Cut(platform, "/")
	path := filepath.Join(dir, "shipsafe-"+goos+"-"+goarch)
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %v", platform, err)
			return
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s is dynamically linked (%s)", path, p.Type)
			}
		}
		if f.Section(".symtab") != nil {
			t.Errorf("%s is not stripped: it has a .symtab section", path)
		}
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			t.Errorf("%s: %v", platform, err)
			return
		}
		defer f.Close()
		if f.Symtab != nil {
			for _, s := range f.Symtab.Syms {
				if s.Type&0x0e != 0 { // N_TYPE other than N_UNDF: a defined symbol
					t.Errorf("%s is not stripped: it defines the symbol %s", path, s.Name)
					break
				}
			}
		}
		if f.Section("__debug_info") != nil || f.Segment("__DWARF") != nil {
			t.Errorf("%s carries DWARF debug information", path)
		}
	case "windows":
		f, err := pe.Open(path + ".exe")
		if err != nil {
			t.Errorf("%s: %v", platform, err)
			return
		}
		defer f.Close()
		if f.NumberOfSymbols != 0 || len(f.Symbols) != 0 {
			t.Errorf("%s.exe is not stripped: %d symbols", path, len(f.Symbols))
		}
		if f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil {
			t.Errorf("%s.exe carries DWARF debug information", path)
		}
	default:
		t.Errorf("no check for %s binaries", goos)
	}
}

// checkArchive checks that the target's archive holds exactly the binary under its
// plain name (mode 0755) and the licence (0644), owned by root, dated at the commit.
func checkArchive(t *testing.T, dir, platform, epoch string) {
	t.Helper()
	goos, goarch, _ := strings.Cut(platform, "/")
	name := "shipsafe-" + goos + "-" + goarch
	bin := "shipsafe"
	if goos == "windows" {
		bin += ".exe"
	}
	built, err := os.ReadFile(filepath.Join(dir, name+filepath.Ext(bin)))
	if err != nil {
		t.Fatal(err)
	}
	licence, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := strconv.ParseInt(epoch, 10, 64)
	want := []struct {
		name string
		mode int64
		body []byte
	}{{bin, 0o755, built}, {"LICENSE", 0o644, licence}}
	f, err := os.Open(filepath.Join(dir, name+".tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s.tar.gz: %v", name, err)
	}
	tr := tar.NewReader(zr)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Errorf("%s.tar.gz holds %d files, want %d", name, i, len(want))
			}
			return
		}
		if err != nil {
			t.Fatalf("%s.tar.gz: %v", name, err)
		}
		if i >= len(want) {
			t.Errorf("%s.tar.gz holds an extra file %s", name, h.Name)
			continue
		}
		w := want[i]
		body, _ := io.ReadAll(tr)
		got := fmt.Sprintf("%s mode %o uid %d gid %d mtime %d", h.Name, h.Mode, h.Uid, h.Gid, h.ModTime.Unix())
		if exp := fmt.Sprintf("%s mode %o uid 0 gid 0 mtime %d", w.name, w.mode, sec); got != exp {
			t.Errorf("%s.tar.gz entry %d: %s, want %s", name, i, got, exp)
		}
		if !bytes.Equal(body, w.body) {
			t.Errorf("%s.tar.gz: %s is not the file built (%d bytes, want %d)", name, h.Name, len(body), len(w.body))
		}
	}
}

// checkKrew checks that the krew manifest has one platform per target, each pointing
// at the target's archive with the checksum SHA256SUMS lists and the right binary.
func checkKrew(t *testing.T, dir string, targets []string) {
	t.Helper()
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	var krew struct {
		Spec struct {
			Version   string
			Platforms []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				}
				URI, Sha256, Bin string
				Files            []struct{ From, To string }
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "shipsafe.krew.yaml"))
	if err := yaml.Unmarshal(raw, &krew); err != nil {
		t.Fatalf("krew manifest: %v\n%s", err, raw)
	}
	if krew.Spec.Version != "v1.2.3" || len(krew.Spec.Platforms) != len(targets) {
		t.Errorf("krew manifest has version %q and %d platforms, want v1.2.3 and %d:\n%s", krew.Spec.Version, len(krew.Spec.Platforms), len(targets), raw)
	}
	for _, p := range krew.Spec.Platforms {
		goos, goarch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		archive := "shipsafe-" + goos + "-" + goarch + ".tar.gz"
		bin := "shipsafe"
		if goos == "windows" {
			bin += ".exe"
		}
		if !slices.Contains(targets, goos+"/"+goarch) || p.URI != "https://example.invalid/v1.2.3/"+archive {
			t.Errorf("krew platform %s/%s points at %s", goos, goarch, p.URI)
		}
		if !strings.Contains(string(sums), p.Sha256+"  "+archive+"\n") {
			t.Errorf("krew platform %s/%s has sha256 %s, not the one SHA256SUMS lists for %s:\n%s", goos, goarch, p.Sha256, archive, sums)
		}
		if p.Bin != bin || len(p.Files) != 2 || p.Files[0].From != bin || p.Files[1].From != "LICENSE" {
			t.Errorf("krew platform %s/%s installs %+v as %q, want %s and LICENSE", goos, goarch, p.Files, p.Bin, bin)
		}
	}
}
