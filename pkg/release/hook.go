package release

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Hook events: the pre- ones run before an operation changes the release's objects, the
// post- ones after they are all ready (or, for delete, gone). A deploy runs *-install on
// a release's first deploy (no deployed revision yet) and *-upgrade on every later one; a
// rollback runs the *-rollback hooks of the revision it goes back to; an uninstall runs
// the *-delete hooks of the deployed revision.
const (
	HookPreInstall   = "pre-install"
	HookPostInstall  = "post-install"
	HookPreUpgrade   = "pre-upgrade"
	HookPostUpgrade  = "post-upgrade"
	HookPreRollback  = "pre-rollback"
	HookPostRollback = "post-rollback"
	HookPreDelete    = "pre-delete"
	HookPostDelete   = "post-delete"
	// HookTest marks a test hook (`helm test`): recorded with the revision, never run by
	// deploy, rollback or uninstall, as Helm does.
	HookTest = "test"
)

// HookEvents are the hook events shipsafe runs.
func HookEvents() []string {
	return []string{HookPreInstall, HookPostInstall, HookPreUpgrade, HookPostUpgrade,
		HookPreRollback, HookPostRollback, HookPreDelete, HookPostDelete}
}

// Hook delete policies, as in Helm's helm.sh/hook-delete-policy annotation.
const (
	// HookBeforeCreation deletes the previous instance before the hook is created; it
	// is the policy of a hook that names none.
	HookBeforeCreation = "before-hook-creation"
	// HookDeleteSucceeded deletes the hook once every hook of its event has succeeded.
	HookDeleteSucceeded = "hook-succeeded"
	// HookDeleteFailed deletes the hook when it fails.
	HookDeleteFailed = "hook-failed"
)

// HookPolicies are the hook delete policies shipsafe applies.
func HookPolicies() []string {
	return []string{HookBeforeCreation, HookDeleteSucceeded, HookDeleteFailed}
}

// Hook is an object that runs at a moment of an operation (Events: "pre-upgrade",
// "pre-delete"...) instead of being one of the release's objects, as Helm's hooks
// (annotation helm.sh/hook) do. A revision records its hooks apart from its objects;
// they are never applied or pruned as objects. Package deploy runs them.
type Hook struct {
	// Object is the hook's object, prepared as deployed (namespace, release label).
	Object *unstructured.Unstructured `json:"object"`
	// Events say when the hook runs.
	Events []string `json:"events"`
	// Weight orders the hooks of one event, lowest first.
	Weight int `json:"weight,omitempty"`
	// DeletePolicies are HookBeforeCreation, HookDeleteSucceeded and HookDeleteFailed;
	// none means HookBeforeCreation.
	DeletePolicies []string `json:"deletePolicies,omitempty"`
}

// Has reports whether h runs on event.
func (h Hook) Has(event string) bool { return slices.Contains(h.Events, event) }

// Policy reports whether h has delete policy p (HookBeforeCreation when it names none).
func (h Hook) Policy(p string) bool {
	if len(h.DeletePolicies) == 0 {
		return p == HookBeforeCreation
	}
	return slices.Contains(h.DeletePolicies, p)
}

// String names the hook's object: "batch/Job prod/migrate".
func (h Hook) String() string {
	if h.Object == nil {
		return "(hook without an object)"
	}
	return manifest.KeyOf(h.Object).String()
}

// DeepCopy returns a copy of h that shares no memory with it.
func (h Hook) DeepCopy() Hook {
	c := Hook{Weight: h.Weight, Events: append([]string(nil), h.Events...), DeletePolicies: append([]string(nil), h.DeletePolicies...)}
	if h.Object != nil {
		c.Object = h.Object.DeepCopy()
	}
	return c
}
