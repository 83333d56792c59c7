package lint

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// load reads a fixture through the manifest loader.
func load(t *testing.T, fixture string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifest.FileSource{Paths: []string{"testdata/" + fixture}}.Load(context.Background())
	if err != nil {
		t.Fatalf("load %s: %v", fixture, err)
	}
	return objs
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture   string
		rule      string
		object    string // metadata.name of the workload
		container string // for container rules; "" for workload rules
		fires     bool
		msg       string // a substring the message must contain when it fires
	}{
		{"ss000.yaml", "SS000", "quoted-replicas", "", true, "cannot read apps/v1 Deployment"},
		{"ss000.yaml", "SS000", "bad-ports", "", true, "cannot read v1 Service"},
		{"ss000.yaml", "SS000", "readable", "", false, ""},

		{"ss001.yaml", "SS001", "ports-no-readiness", "app", true, "declares ports"},
		{"ss001.yaml", "SS001", "service-no-readiness", "app", true, "a Service sends it traffic"},
		{"ss001.yaml", "SS001", "worker", "", false, ""},
		{"ss001.yaml", "SS001", "with-readiness", "", false, ""},
		{"ss001.yaml", "SS001", "with-sidecar", "", false, ""},
		{"ss001.yaml", "SS001", "external-only", "", false, ""},
		{"ss001.yaml", "SS001", "other-namespace", "", false, ""},

		{"ss002.yaml", "SS002", "same-probes", "app", true, "restarted"},
		{"ss002.yaml", "SS002", "same-check-other-timing", "app", true, ""},
		{"ss002.yaml", "SS002", "different-probes", "", false, ""},
		{"ss002.yaml", "SS002", "liveness-only", "", false, ""},

		{"ss003.yaml", "SS003", "no-prestop", "app", true, "behind a Service"},
		{"ss003.yaml", "SS003", "prestop-sleep", "", false, ""},
		{"ss003.yaml", "SS003", "prestop-exec", "", false, ""},
		{"ss003.yaml", "SS003", "no-service", "", false, ""},

		{"ss004.yaml", "SS004", "short-grace", "app", true, "is 20s but the pod needs 30s (preStop 5s + shutdown budget 25s)"},
		{"ss004.yaml", "SS004", "default-grace", "app", true, "is 30s but the pod needs 35s"},
		{"ss004.yaml", "SS004", "exec-sleep", "app", true, "needs 35s (preStop 10s"},
		{"ss004.yaml", "SS004", "fits", "", false, ""},
		{"ss004.yaml", "SS004", "bad-budget", "", true, `shipsafe.io/shutdown-budget="25" is not a non-negative Go duration`},
		{"ss004.yaml", "SS004", "prestop-eats-grace", "app", true, "waits 30s but terminationGracePeriodSeconds is 30s"},
		{"ss004.yaml", "SS004", "no-budget", "", false, ""},
		{"ss004.yaml", "SS004", "budget-on-deployment", "", false, ""},

		{"ss005.yaml", "SS005", "one-unavailable-one", "", true, "with 1 replica(s), maxUnavailable 1 and maxSurge 25% allow 1 pod(s) down"},
		{"ss005.yaml", "SS005", "one-defaults", "", false, ""},
		{"ss005.yaml", "SS005", "both-zero", "", true, "both 0"},
		{"ss005.yaml", "SS005", "one-surge-zero", "", true, "maxUnavailable 25% and maxSurge 0 allow 1 pod(s) down"},
		{"ss005.yaml", "SS005", "three-all-unavailable", "", true, "allow 3 pod(s) down"},
		{"ss005.yaml", "SS005", "two-rounds-down", "", false, ""},
		{"ss005.yaml", "SS005", "invalid-percent", "", true, "maxUnavailable lots is invalid"},
		{"ss005.yaml", "SS005", "scaled-to-zero", "", false, ""},

		{"ss006.yaml", "SS006", "single", "", true, "1 replica and no PodDisruptionBudget"},
		{"ss006.yaml", "SS006", "single-unset", "", true, ""},
		{"ss006.yaml", "SS006", "single-with-pdb", "", false, ""},
		{"ss006.yaml", "SS006", "single-pdb-elsewhere", "", true, ""},
		{"ss006.yaml", "SS006", "two-replicas", "", false, ""},
		{"ss006.yaml", "SS006", "single-db", "", true, ""},
		{"ss006.yaml", "SS006", "agent", "", false, ""},
		{"ss006.yaml", "SS006", "single-skipped", "", false, ""},
		{"ss006.yaml", "SS008", "single-skipped", "", false, ""},

		{"ss007.yaml", "SS007", "images", "latest-always", true, "tag :latest"},
		{"ss007.yaml", "SS007", "images", "untagged-default", true, "tag none"},
		{"ss007.yaml", "SS007", "images", "port-untagged", true, ""},
		{"ss007.yaml", "SS007", "images", "latest-ifnotpresent", false, ""},
		{"ss007.yaml", "SS007", "images", "pinned-always", false, ""},
		{"ss007.yaml", "SS007", "images", "port-pinned", false, ""},
		{"ss007.yaml", "SS007", "images", "digest", false, ""},

		{"ss008.yaml", "SS008", "resources", "none", true, "no cpu or memory request"},
		{"ss008.yaml", "SS008", "resources", "cpu-only", true, "no memory request"},
		{"ss008.yaml", "SS008", "resources", "limits-only", false, ""},
		{"ss008.yaml", "SS008", "resources", "both", false, ""},

		{"ss009.yaml", "SS009", "recreate", "", true, "Recreate"},
		{"ss009.yaml", "SS009", "rolling", "", false, ""},
	}
	for _, tt := range tests {
		verb := map[bool]string{true: "fires", false: "quiet"}[tt.fires]
		t.Run(strings.Join([]string{tt.rule, verb, tt.object, tt.container}, "/"), func(t *testing.T) {
			t.Parallel()
			var got []Finding
			for _, f := range Check(load(t, tt.fixture)) {
				if f.Rule == tt.rule && f.Object.Name == tt.object && (tt.container == "" || f.Container == tt.container) {
					got = append(got, f)
				}
			}
			if !tt.fires {
				if len(got) > 0 {
					t.Fatalf("unexpected findings: %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(got), got)
			}
			f := got[0]
			if f.Container != tt.container {
				t.Errorf("container = %q, want %q", f.Container, tt.container)
			}
			if !strings.Contains(f.Message, tt.msg) {
				t.Errorf("message %q lacks %q", f.Message, tt.msg)
			}
			if f.Fix == "" {
				t.Error("finding has no fix")
			}
			if want := severityOf(tt.rule); f.Severity != want {
				t.Errorf("severity = %q, want %q", f.Severity, want)
			}
		})
	}
}

func TestCheckCleanGracefulFixture(t *testing.T) {
	t.Parallel()
	if fs := Check(load(t, "clean-graceful.yaml")); len(fs) != 0 {
		t.Fatalf("the lint-clean fixture has findings:\n%+v", fs)
	}
}

func TestCheckSortedAndIndependentOfInputOrder(t *testing.T) {
	t.Parallel()
	objs := slices.Concat(load(t, "ss001.yaml"), load(t, "ss004.yaml"), load(t, "ss007.yaml"), load(t, "ss008.yaml"))
	want := Check(objs)
	if len(want) < 10 {
		t.Fatalf("fixture set too small to test ordering: %d findings", len(want))
	}
	if !slices.IsSortedFunc(want, func(a, b Finding) int {
		if c := a.Object.Compare(b.Object); c != 0 {
			return c
		}
		return strings.Compare(a.Rule+"/"+a.Container, b.Rule+"/"+b.Container)
	}) {
		t.Errorf("findings are not sorted by object, rule, container")
	}
	for seed := range uint64(3) {
		shuffled := slices.Clone(objs)
		rand.New(rand.NewPCG(seed, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Check(shuffled); !slices.Equal(got, want) {
			t.Errorf("seed %d: findings depend on input order", seed)
		}
	}
}

func TestCheckDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	objs := load(t, "ss005.yaml")
	before := make([]string, len(objs))
	for i, o := range objs {
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = string(b)
	}
	Check(objs)
	for i, o := range objs {
		if b, _ := json.Marshal(o.Object); string(b) != before[i] {
			t.Errorf("%s changed", manifest.KeyOf(o))
		}
	}
}

func TestHasErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		want    bool
	}{
		{"clean", "clean-graceful.yaml", false},
		{"only warnings and notes", "ss008.yaml", false},
		{"rollout that takes every pod down", "ss005.yaml", true},
		{"grace period too short", "ss004.yaml", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HasErrors(Check(load(t, tt.fixture))); got != tt.want {
				t.Errorf("HasErrors = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	rules := Rules()
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
		if r.Title == "" || r.Why == "" {
			t.Errorf("%s lacks a title or explanation", r.ID)
		}
		switch r.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("%s has severity %q", r.ID, r.Severity)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("rule ids are not sorted and unique: %v", ids)
	}
	rules[0].ID = "changed"
	if Rules()[0].ID == "changed" {
		t.Error("Rules returns shared state")
	}
}

func TestFindingJSON(t *testing.T) {
	t.Parallel()
	i := slices.IndexFunc(Check(load(t, "ss008.yaml")), func(f Finding) bool { return f.Rule == "SS008" })
	if i < 0 {
		t.Fatal("no SS008 finding")
	}
	b, err := json.Marshal(Check(load(t, "ss008.yaml"))[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule", "severity", "object", "container", "message", "fix"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	obj, _ := m["object"].(map[string]any)
	if obj["kind"] != "Deployment" || obj["name"] != "resources" {
		t.Errorf("object = %v", m["object"])
	}
}
