package deploy

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Defaults of RunOptions.
const (
	DefaultTimeout         = 5 * time.Minute
	DefaultRollbackTimeout = 2 * time.Minute
	DefaultHistoryMax      = 10
)

// RunOptions say how an action that deploys a new revision (Deploy, Rollback, Import)
// runs: its time limits, what it may take over, and what happens when it fails.
type RunOptions struct {
	// Timeout bounds applying and waiting for readiness, and the hooks of each event.
	Timeout time.Duration
	// RollbackTimeout bounds the automatic rollback, which runs even after a signal.
	RollbackTimeout time.Duration
	// LockWait is how long to wait for another deploy of the release to finish.
	LockWait time.Duration
	// NoRollback leaves a failed revision in place instead of rolling back.
	NoRollback bool
	// ForceConflicts takes fields other field managers own.
	ForceConflicts bool
	// Adopt takes over existing objects not managed by this release.
	Adopt bool
	// HistoryMax is how many revisions to keep (0 = DefaultHistoryMax, <0 = all).
	HistoryMax int
	// Description, when set, is the new revision's line in history instead of
	// "install", "upgrade" or "rollback to N" (--description).
	Description string
	// Labels are recorded with the new revision and set on its record (--labels).
	Labels map[string]string
	// Stop, when closed (the first signal again: an order to give up), stops the
	// rollback at once; the record is still written.
	Stop <-chan struct{}
	// OnEvent receives progress; it is called from one goroutine at a time.
	OnEvent func(Event)

	// recovering is set while an interrupted revision is undone: data-bearing objects
	// it created (PersistentVolumeClaims) are left in place.
	recovering bool
	// lock is the run's release lock, once held: a rollback stops at once when it is
	// lost, and records nothing (the next holder recovers).
	lock Lock
}

func (o *RunOptions) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RollbackTimeout <= 0 {
		o.RollbackTimeout = DefaultRollbackTimeout
	}
	if o.HistoryMax == 0 {
		o.HistoryMax = DefaultHistoryMax
	}
}

// DeployOptions are the inputs of Deploy.
type DeployOptions struct {
	Release   string
	Namespace string
	Objects   []*unstructured.Unstructured
	// Hooks run before (pre-install, pre-upgrade) and after (post-install, post-upgrade)
	// Objects are applied and ready; see release.Hook. The revision records them, so that
	// a rollback to it runs its rollback hooks and an uninstall its delete hooks.
	Hooks []release.Hook
	// RenderedFor, for a chart, is the release state its templates saw. Once the lock is
	// held, Run checks it against the history and returns ErrStaleRender, having changed
	// nothing, when another deploy got in between.
	RenderedFor *RenderedFor
	// Source describes where the objects came from, for history ("-f k8s/").
	Source string
	// Verification is the release's Verification object (package verify), read from its
	// sources and never applied: its checks run after the objects are ready and the
	// post- hooks ran, while the revision is still pending, and a failed verdict fails
	// the deploy; its checks marked duringRollout are sampled during the wait for
	// readiness too, and a breach then stops the wait and fails the deploy at once. The
	// revision records it, so a rollback to it runs the same checks.
	Verification *unstructured.Unstructured
	// Chart, for objects rendered from a Helm chart, is recorded with the revision: the
	// chart's name, version and digest, the user's values and the notes.
	Chart *release.Chart
	// UpdateCRDs applies the CRDs of the chart's crds/ directories (Chart.CRDs) that
	// exist too, as ordinary objects of the release (--update-crds). Without it they are
	// created when absent and left as they are when present, as Helm does. A rollback
	// never updates them, and no prune, restore or recovery deletes them.
	UpdateCRDs bool
	// CreateNamespace creates the release namespace when it is missing, after
	// validation and before the lock and the records, as a plain Namespace the release
	// does not own (never deleted by uninstall), as `helm install --create-namespace`.
	CreateNamespace bool
	RunOptions
}

// RollbackOptions are the inputs of Rollback.
type RollbackOptions struct {
	Release   string
	Namespace string
	// To is the revision to go back to; 0 means the last revision deployed before the
	// current one.
	To int
	// NoHooks runs none of the target revision's pre-rollback and post-rollback hooks.
	NoHooks bool
	RunOptions
}

// spec is one new revision for Deploy.run to deploy: DeployOptions plus what only
// Rollback and Import set.
type spec struct {
	DeployOptions
	// description is one line for history; "install" or "upgrade" when empty.
	description string
	// rollback runs the *-rollback hooks instead of *-install or *-upgrade.
	rollback bool
	// noHooks runs none of the hooks; they are still recorded.
	noHooks bool
	// takeOverFrom names field managers (Helm's "helm") whose managedFields entries are
	// removed after applying, so shipsafe owns the fields alone.
	takeOverFrom []string
	// namespaceMissing is set by run when the release namespace does not exist yet: it
	// is created after validation, which leaves out the objects in it.
	namespaceMissing bool
	// leftCRDs are the CRDs of the chart's crds/ that exist and that prepare left out
	// of the objects (without UpdateCRDs): they stay as they are.
	leftCRDs []*unstructured.Unstructured
	// records reads the release's history for this run (set by run).
	records *records
	// listed is what prepare found in the cluster before the lock; recordPending
	// starts from it when the history has not changed since (listing.stillValid).
	listed *listing
}

// RenderedFor is what a chart's templates were told of the release: .Release.Revision and
// .Release.IsUpgrade.
type RenderedFor struct {
	Revision int
	Upgrade  bool
}

// checkRendered returns ErrStaleRender when the history revs no longer is what the
// objects were rendered for (nil when they were not rendered for a history).
func checkRendered(rendered *RenderedFor, revs []*release.Revision, next int) error {
	if rendered == nil {
		return nil
	}
	now := RenderedFor{Revision: next, Upgrade: release.LastDeployed(revs) != nil}
	if *rendered == now {
		return nil
	}
	return fmt.Errorf("%w: it was rendered as revision %d (%s), but the release is now at revision %d (%s)",
		ErrStaleRender, rendered.Revision, installOrUpgrade(rendered.Upgrade), now.Revision, installOrUpgrade(now.Upgrade))
}

func installOrUpgrade(upgrade bool) string {
	if upgrade {
		return "upgrade"
	}
	return "install"
}
