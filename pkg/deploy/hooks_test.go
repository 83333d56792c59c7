package deploy

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

func hookObj(kind, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("batch/v1")
	o.SetKind(kind)
	o.SetNamespace("prod")
	o.SetName(name)
	return o
}

func TestCheckHooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hook release.Hook
		want []string // substrings of the error; none = accepted
	}{
		{"pre-upgrade", release.Hook{Object: hookObj("Job", "m"), Events: []string{release.HookPreUpgrade}}, nil},
		{"all four with policies", release.Hook{Object: hookObj("Job", "m"), Events: []string{release.HookPreInstall, release.HookPostInstall, release.HookPreUpgrade, release.HookPostUpgrade},
			DeletePolicies: []string{release.HookBeforeCreation, release.HookDeleteSucceeded, release.HookDeleteFailed}}, nil},
		{"rollback and delete events", release.Hook{Object: hookObj("Job", "m"), Events: []string{release.HookPreRollback, release.HookPostRollback, release.HookPreDelete, release.HookPostDelete}}, nil},
		{"test accepted", release.Hook{Object: hookObj("Pod", "t"), Events: []string{release.HookPreInstall, release.HookTest}}, nil},
		{"unknown event named", release.Hook{Object: hookObj("Job", "m"), Events: []string{"pre-instal"}},
			[]string{`hook kind "pre-instal" is not supported by shipsafe`, "batch/Job prod/m", "--skip-hooks pre-instal"}},
		{"unknown event refused", release.Hook{Object: hookObj("Job", "m"), Events: []string{"pre-instal"}}, []string{`"pre-instal"`}},
		{"no events", release.Hook{Object: hookObj("Job", "m")}, []string{"no events"}},
		{"unknown policy", release.Hook{Object: hookObj("Job", "m"), Events: []string{release.HookPreInstall}, DeletePolicies: []string{"never"}},
			[]string{`unknown hook-delete-policy "never"`}},
		{"no object", release.Hook{Events: []string{release.HookPreInstall}}, []string{"no object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkHooks([]release.Hook{tt.hook})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHooksForOrdersByWeightThenName(t *testing.T) {
	t.Parallel()
	hooks := []release.Hook{
		{Object: hookObj("Job", "c"), Events: []string{release.HookPreUpgrade}, Weight: 1},
		{Object: hookObj("Job", "b"), Events: []string{release.HookPreUpgrade}, Weight: 1},
		{Object: hookObj("Job", "z"), Events: []string{release.HookPreUpgrade, release.HookPreInstall}, Weight: -5},
		{Object: hookObj("Job", "a"), Events: []string{release.HookPostUpgrade}, Weight: -10},
		{Object: hookObj("Job", "y"), Events: []string{release.HookPreInstall}},
	}
	tests := []struct {
		event string
		want  string
	}{
		{release.HookPreUpgrade, "z b c"},
		{release.HookPreInstall, "z y"},
		{release.HookPostUpgrade, "a"},
		{release.HookPostInstall, ""},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			t.Parallel()
			var names []string
			for _, h := range hooksFor(hooks, tt.event) {
				names = append(names, h.Object.GetName())
			}
			if got := strings.Join(names, " "); got != tt.want {
				t.Errorf("hooksFor(%s) = %q, want %q", tt.event, got, tt.want)
			}
		})
	}
}

func TestHookEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rollback, install bool
		pre, post         string
	}{
		{false, true, release.HookPreInstall, release.HookPostInstall},
		{false, false, release.HookPreUpgrade, release.HookPostUpgrade},
		{true, false, release.HookPreRollback, release.HookPostRollback},
		{true, true, release.HookPreRollback, release.HookPostRollback},
	}
	for _, tt := range tests {
		if pre, post := hookEvents(tt.rollback, tt.install); pre != tt.pre || post != tt.post {
			t.Errorf("hookEvents(rollback=%t, install=%t) = %s, %s; want %s, %s", tt.rollback, tt.install, pre, post, tt.pre, tt.post)
		}
	}
}

func TestHookDeletePolicies(t *testing.T) {
	t.Parallel()
	none := release.Hook{Object: hookObj("Job", "none")}
	if !none.Policy(release.HookBeforeCreation) || none.Policy(release.HookDeleteSucceeded) || none.Policy(release.HookDeleteFailed) {
		t.Error("a hook without policies must have exactly before-hook-creation")
	}
	onlySucceeded := release.Hook{Object: hookObj("Job", "s"), DeletePolicies: []string{release.HookDeleteSucceeded}}
	if onlySucceeded.Policy(release.HookBeforeCreation) {
		t.Error("explicit policies replace the default")
	}
	hooks := []release.Hook{
		onlySucceeded,
		none,
		{Object: hookObj("Job", "s2"), DeletePolicies: []string{release.HookDeleteFailed, release.HookDeleteSucceeded}},
	}
	var names []string
	for _, h := range succeededToDelete(hooks) {
		names = append(names, h.Object.GetName())
	}
	if got := strings.Join(names, " "); got != "s2 s" {
		t.Errorf("succeededToDelete = %q, want %q (last first, only hook-succeeded)", got, "s2 s")
	}
}

func TestTestOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		events []string
		want   bool
	}{{[]string{release.HookTest}, true}, {[]string{release.HookTest, release.HookPostInstall}, false}, {nil, false}, {[]string{release.HookPreInstall}, false}} {
		if got := testOnly(release.Hook{Events: tt.events}); got != tt.want {
			t.Errorf("testOnly(%v) = %v, want %v", tt.events, got, tt.want)
		}
	}
}
