package deploy

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
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
		hook Hook
		want []string // substrings of the error; none = accepted
	}{
		{"pre-upgrade", Hook{Object: hookObj("Job", "m"), Events: []string{HookPreUpgrade}}, nil},
		{"all four with policies", Hook{Object: hookObj("Job", "m"), Events: []string{HookPreInstall, HookPostInstall, HookPreUpgrade, HookPostUpgrade},
			DeletePolicies: []string{HookBeforeCreation, HookDeleteSucceeded, HookDeleteFailed}}, nil},
		{"rollback and delete events", Hook{Object: hookObj("Job", "m"), Events: []string{HookPreRollback, HookPostRollback, HookPreDelete, HookPostDelete}}, nil},
		{"test refused", Hook{Object: hookObj("Pod", "t"), Events: []string{HookPreInstall, "test"}},
			[]string{`hook kind "test" is not supported by shipsafe`, "batch/Pod prod/t", "--skip-hooks test"}},
		{"unknown event refused", Hook{Object: hookObj("Job", "m"), Events: []string{"pre-instal"}}, []string{`"pre-instal"`}},
		{"no events", Hook{Object: hookObj("Job", "m")}, []string{"no events"}},
		{"unknown policy", Hook{Object: hookObj("Job", "m"), Events: []string{HookPreInstall}, DeletePolicies: []string{"never"}},
			[]string{`unknown hook-delete-policy "never"`}},
		{"no object", Hook{Events: []string{HookPreInstall}}, []string{"no object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkHooks([]Hook{tt.hook})
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
	hooks := []Hook{
		{Object: hookObj("Job", "c"), Events: []string{HookPreUpgrade}, Weight: 1},
		{Object: hookObj("Job", "b"), Events: []string{HookPreUpgrade}, Weight: 1},
		{Object: hookObj("Job", "z"), Events: []string{HookPreUpgrade, HookPreInstall}, Weight: -5},
		{Object: hookObj("Job", "a"), Events: []string{HookPostUpgrade}, Weight: -10},
		{Object: hookObj("Job", "y"), Events: []string{HookPreInstall}},
	}
	tests := []struct {
		event string
		want  string
	}{
		{HookPreUpgrade, "z b c"},
		{HookPreInstall, "z y"},
		{HookPostUpgrade, "a"},
		{HookPostInstall, ""},
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
		{false, true, HookPreInstall, HookPostInstall},
		{false, false, HookPreUpgrade, HookPostUpgrade},
		{true, false, HookPreRollback, HookPostRollback},
		{true, true, HookPreRollback, HookPostRollback},
	}
	for _, tt := range tests {
		if pre, post := hookEvents(tt.rollback, tt.install); pre != tt.pre || post != tt.post {
			t.Errorf("hookEvents(rollback=%t, install=%t) = %s, %s; want %s, %s", tt.rollback, tt.install, pre, post, tt.pre, tt.post)
		}
	}
}

func TestHooksRecordedAndBack(t *testing.T) {
	t.Parallel()
	hooks := []Hook{{Object: hookObj("Job", "m"), Events: []string{HookPreDelete}, Weight: 3, DeletePolicies: []string{HookDeleteSucceeded}}}
	back := hooksOf(&release.Revision{Hooks: recorded(hooks)})
	if len(back) != 1 || back[0].Object != hooks[0].Object || back[0].Weight != 3 ||
		back[0].Events[0] != HookPreDelete || back[0].DeletePolicies[0] != HookDeleteSucceeded {
		t.Errorf("hooks changed on the way through the record: %+v", back)
	}
}

func TestHookDeletePolicies(t *testing.T) {
	t.Parallel()
	none := Hook{Object: hookObj("Job", "none")}
	if !none.policy(HookBeforeCreation) || none.policy(HookDeleteSucceeded) || none.policy(HookDeleteFailed) {
		t.Error("a hook without policies must have exactly before-hook-creation")
	}
	onlySucceeded := Hook{Object: hookObj("Job", "s"), DeletePolicies: []string{HookDeleteSucceeded}}
	if onlySucceeded.policy(HookBeforeCreation) {
		t.Error("explicit policies replace the default")
	}
	hooks := []Hook{
		onlySucceeded,
		none,
		{Object: hookObj("Job", "s2"), DeletePolicies: []string{HookDeleteFailed, HookDeleteSucceeded}},
	}
	var names []string
	for _, h := range succeededToDelete(hooks) {
		names = append(names, h.Object.GetName())
	}
	if got := strings.Join(names, " "); got != "s2 s" {
		t.Errorf("succeededToDelete = %q, want %q (last first, only hook-succeeded)", got, "s2 s")
	}
}

func TestImportedHooksLeaveOutTests(t *testing.T) {
	t.Parallel()
	got := importedHooks([]helm.Hook{
		{Object: hookObj("Pod", "t"), Events: []string{"test"}},
		{Object: hookObj("Job", "m"), Events: []string{"test-success", HookPreDelete}, Weight: 1, DeletePolicies: []string{HookDeleteSucceeded}},
	})
	if len(got) != 1 || got[0].Object.GetName() != "m" || strings.Join(got[0].Events, ",") != HookPreDelete ||
		got[0].Weight != 1 || got[0].DeletePolicies[0] != HookDeleteSucceeded {
		t.Errorf("importedHooks = %+v, want only m with pre-delete", got)
	}
}
