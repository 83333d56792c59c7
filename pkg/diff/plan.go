package diff

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Action is what a deploy would do to one object.
type Action string

// The actions of a Plan.
const (
	// Create: the object does not exist yet.
	Create Action = "create"
	// Change: the object exists and the deploy changes some of its fields.
	Change Action = "change"
	// Prune: the last deployed revision has the object, or a failed revision since left
	// it behind, and the new objects do not, so the deploy deletes it.
	Prune Action = "prune"
)

// ObjectDiff is what a deploy would do to one object.
type ObjectDiff struct {
	// Object names it, "apps/Deployment prod/web".
	Object string `json:"object"`
	// Key is the object's key, for programs.
	Key    manifest.Key `json:"key"`
	Action Action       `json:"action"`
	// Fields are the fields that change (Before: live, After: after the deploy); only for
	// Change. Secret values are masked.
	Fields []FieldChange `json:"fields,omitempty"`
	// Diff is a unified diff of the object's YAML without managedFields, resourceVersion,
	// generation, uid, creationTimestamp and status, Secret values masked: live against
	// the server's dry-run answer for Change, empty against the object as deploy sends it
	// for Create, live against empty for Prune.
	Diff string `json:"diff"`
	// Conflicts are fields other managers own: the deploy needs --force-conflicts.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Warnings say why the deploy would refuse the object, e.g. that it belongs to no
	// release and needs --adopt.
	Warnings []string `json:"warnings,omitempty"`
}

// Result is what a deploy of new objects would change.
type Result struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Revision is the last deployed revision, whose objects pruning is computed from (0
	// when the release has none).
	Revision int `json:"revision,omitempty"`
	// Objects are the objects that would change: creates and changes in the order of the
	// source, then prunes in the order of the revision.
	Objects []ObjectDiff `json:"objects"`
	// Unchanged names the objects the deploy would leave as they are.
	Unchanged []string `json:"unchanged"`
}

// Changed reports whether the deploy would change anything.
func (r *Result) Changed() bool { return len(r.Objects) > 0 }

// Count returns how many objects the deploy would treat with action a.
func (r *Result) Count(a Action) int {
	n := 0
	for _, o := range r.Objects {
		if o.Action == a {
			n++
		}
	}
	return n
}

// Options are the inputs of Plan.
type Options struct {
	Release   string
	Namespace string
	// Objects are the new objects as loaded from the source.
	Objects []*unstructured.Unstructured
	// ForceConflicts computes the plan of a deploy with --force-conflicts; without it,
	// fields other managers own are reported as Conflicts (and the diff shows what
	// forcing would do).
	ForceConflicts bool
	// ChartCRDs name the CRDs of the chart's crds/ among Objects (release.Chart.CRDs):
	// those that exist are left as they are (Unchanged) unless UpdateCRDs, and none is
	// pruned, as deploy does.
	ChartCRDs  []release.ObjectRef
	UpdateCRDs bool
}

// Plan computes what deploying opts.Objects as a new revision of opts.Release would
// change, without changing anything: the objects are prepared as deploy prepares them
// (plan.Normalize), each existing one is server-side applied in dry-run mode with the
// shipsafe field manager and compared with its live version, so defaulting, admission
// and other managers' fields are accounted for; objects of the last deployed revision
// that the new objects lack are to be pruned, and so are those that failed revisions
// since then left behind (plan.Prune). Bad input (objects the server rejects) returns
// a *plan.InputError.
func Plan(ctx context.Context, cfg *Config, opts Options) (*Result, error) {
	if err := release.ValidateName(opts.Release); err != nil {
		return nil, &plan.InputError{Err: err}
	}
	if len(opts.Objects) == 0 {
		return nil, plan.Inputf("release %q: no objects to compare", opts.Release)
	}
	objs, err := plan.Normalize(cfg.Mapper, opts.Objects, opts.Release, opts.Namespace)
	if err != nil {
		return nil, err
	}
	revs, err := cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	res := &Result{Release: opts.Release, Namespace: opts.Namespace, Objects: []ObjectDiff{}, Unchanged: []string{}}
	last := release.LastDeployed(revs)
	var lastObjs []*unstructured.Unstructured
	if last != nil {
		res.Revision = last.Number
		lastObjs = last.Objects
	}
	leftBehind := plan.LeftBehind(revs, last)
	live, err := cfg.fetch(ctx, slices.Concat(objs, lastObjs, leftBehind))
	if err != nil {
		return nil, fmt.Errorf("read the live objects: %w", err)
	}
	existing := make(map[manifest.Key]*metav1.ObjectMeta, len(live))
	for k, o := range live {
		existing[k] = &metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace(), Labels: o.GetLabels(), Annotations: o.GetAnnotations()}
	}
	// What deploy prunes: the last deployed revision's objects and what failed revisions
	// since left behind (still the release's), less the new objects and the chart's CRDs
	// (those of the earlier charts are kept, not deleted).
	owner := manifest.Owner{Namespace: opts.Namespace, Name: opts.Release}
	newCRDs := plan.ChartCRDs(&release.Chart{CRDs: opts.ChartCRDs})
	gone := plan.Without(plan.Prune(last, plan.Leftovers(leftBehind, existing, owner), objs), newCRDs)
	var charts []*release.Chart
	for _, r := range revs {
		charts = append(charts, r.Chart)
	}
	gone = plan.Without(gone, plan.ChartCRDs(charts...))
	if !opts.UpdateCRDs {
		var left []*unstructured.Unstructured
		objs, left = plan.LeaveCRDs(objs, newCRDs, existing)
		for _, o := range left {
			res.Unchanged = append(res.Unchanged, manifest.KeyOf(o).String())
		}
	}
	// What deploy validates, plus every object that exists: its kind is served and its
	// namespace there, even when a CRD or Namespace of the release defines them.
	runnable := plan.DryRunnable(objs, existing)
	inRun := manifest.Index(runnable)
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if _, ok := inRun[k]; !ok && live[k] != nil {
			runnable = append(runnable, o)
		}
	}
	after, conflicts, err := cfg.dryRun(ctx, runnable, opts.ForceConflicts)
	if err == nil {
		err = cfg.settle(ctx, runnable, &snapshot{live: live, after: after, conflicts: conflicts}, opts.ForceConflicts)
	}
	if err != nil {
		if apply.IsInput(err) {
			return nil, &plan.InputError{Err: fmt.Errorf("server-side dry run: %w", err)}
		}
		return nil, fmt.Errorf("server-side dry run: %w", err)
	}
	for _, o := range objs {
		k := manifest.KeyOf(o)
		d, err := planObject(o, live[k], after[k], owner)
		if err != nil {
			return nil, err
		}
		if d == nil {
			res.Unchanged = append(res.Unchanged, k.String())
			continue
		}
		d.Conflicts = conflicts[k]
		res.Objects = append(res.Objects, *d)
	}
	for _, o := range gone {
		k := manifest.KeyOf(o)
		l, ok := live[k]
		if !ok {
			continue // already gone
		}
		if !owner.Owns(l.GetLabels(), l.GetAnnotations()) {
			continue // since taken over by another owner: deploy leaves it alone
		}
		if _, kept := manifest.Kept(l.GetAnnotations()); kept {
			continue // kept by its resource policy: deploy only removes the release's ownership
		}
		before := clean(l)
		maskSecrets(before, nil)
		text, err := diffText(k, before, nil, "live", "pruned")
		if err != nil {
			return nil, err
		}
		res.Objects = append(res.Objects, ObjectDiff{Object: k.String(), Key: k, Action: Prune, Diff: text})
	}
	return res, nil
}

// planObject compares one new object with its live version; nil when the deploy would
// not change it. answer is the server's dry-run answer, which every existing object
// has (a new object may have none: its CRD or namespace comes with the release).
func planObject(obj, live, answer *unstructured.Unstructured, rel manifest.Owner) (*ObjectDiff, error) {
	k := manifest.KeyOf(obj)
	if live == nil {
		want := clean(obj)
		maskSecrets(nil, want)
		text, err := diffText(k, nil, want, "absent", "created")
		if err != nil {
			return nil, err
		}
		return &ObjectDiff{Object: k.String(), Key: k, Action: Create, Diff: text}, nil
	}
	if answer == nil {
		return nil, fmt.Errorf("compare %s: the server's dry run did not answer for it", k)
	}
	before, want := clean(live), clean(answer)
	maskSecrets(before, want)
	d := &ObjectDiff{Object: k.String(), Key: k, Action: Change}
	if refusal := plan.CheckOwner(k, live.GetLabels(), live.GetAnnotations(), rel); refusal != nil {
		d.Warnings = []string{refusal.Brief()}
	}
	d.Fields = compareValues(contentOf(before), contentOf(want))
	if len(d.Fields) == 0 {
		return nil, nil
	}
	text, err := diffText(k, before, want, "live", "after deploy")
	if err != nil {
		return nil, err
	}
	d.Diff = text
	return d, nil
}

// diffText renders the unified diff of two versions of the object k.
func diffText(k manifest.Key, before, after *unstructured.Unstructured, fromLabel, toLabel string) (string, error) {
	a, err := toYAML(before)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", k, err)
	}
	b, err := toYAML(after)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", k, err)
	}
	return unified(k.String()+" ("+fromLabel+")", k.String()+" ("+toLabel+")", a, b, 3), nil
}
