package diff

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// DriftState says how a live object departs from the deployed revision.
type DriftState string

// The drift states.
const (
	// Changed: fields the revision sets have other values live.
	Changed DriftState = "changed"
	// Deleted: the object is gone.
	Deleted DriftState = "deleted"
)

// FieldDrift is one field the deployed revision sets that has another value live.
type FieldDrift struct {
	// Path names the field as FieldChange.Path does.
	Path string `json:"path"`
	// Deployed is the value the revision sets (absent when the revision's apply removes
	// the field); Live the value now (absent when it was removed). Secret values are
	// masked.
	Deployed any `json:"deployed,omitempty"`
	Live     any `json:"live,omitempty"`
	// ChangedBy is the field manager that owns the live value, when the object's
	// managedFields tell (a change made by hand with kubectl names kubectl-scale,
	// kubectl-set, kubectl-edit, kubectl-patch...).
	ChangedBy *Owner `json:"changedBy,omitempty"`
}

// ObjectDrift is one object of the deployed revision that departs from it.
type ObjectDrift struct {
	// Object names it, "apps/Deployment prod/web"; Key is its key, for programs.
	Object string       `json:"object"`
	Key    manifest.Key `json:"key"`
	State  DriftState   `json:"state"`
	// Fields are the drifted fields (Changed only).
	Fields []FieldDrift `json:"fields,omitempty"`
	// Diff is a unified diff from the live object to what the revision's apply would make
	// of it (Changed), or from the revision's object to nothing (Deleted).
	Diff string `json:"diff"`
}

// DriftReport compares the live objects of a release with its last deployed revision.
type DriftReport struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Revision is the deployed revision compared, DeployedAt when it finished.
	Revision   int       `json:"revision"`
	DeployedAt time.Time `json:"deployedAt,omitzero"`
	// Objects are the objects that drifted, in the revision's order.
	Objects []ObjectDrift `json:"objects"`
	// InSync names the objects that match the revision.
	InSync []string `json:"inSync"`
}

// Drifted reports whether any object departs from the revision.
func (r *DriftReport) Drifted() bool { return len(r.Objects) > 0 }

// DriftOptions are the inputs of Drift.
type DriftOptions struct {
	Release   string
	Namespace string
}

// Drift compares the live objects of a release with its last deployed revision. Only
// the fields the revision sets count: each live object is server-side applied in
// dry-run mode with the revision's object, forcing conflicts, exactly as a deploy with
// --force-conflicts would restore it, and the answer is compared with the live object.
// Defaults, status and fields only other managers set do not count; a field someone
// changed by hand does, with the manager that changed it. Objects that are gone are
// Deleted. A release without a deployed revision is a *plan.InputError.
func Drift(ctx context.Context, cfg *Config, opts DriftOptions) (*DriftReport, error) {
	if err := release.ValidateName(opts.Release); err != nil {
		return nil, &plan.InputError{Err: err}
	}
	revs, err := cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	last := release.LastDeployed(revs)
	if last == nil {
		if len(revs) == 0 {
			return nil, &plan.InputError{Err: fmt.Errorf("release %q not found in namespace %q; see `shipsafe list -A`", opts.Release, opts.Namespace)}
		}
		return nil, &plan.InputError{Err: fmt.Errorf("release %q has no deployed revision to compare with; see `shipsafe history %s`", opts.Release, opts.Release)}
	}
	rep := &DriftReport{
		Release: opts.Release, Namespace: opts.Namespace, Revision: last.Number, DeployedAt: last.FinishedAt,
		Objects: []ObjectDrift{}, InSync: []string{},
	}
	live, err := cfg.fetch(ctx, last.Objects)
	if err != nil {
		return nil, fmt.Errorf("read the live objects: %w", err)
	}
	var present []*unstructured.Unstructured
	for _, o := range last.Objects {
		if _, ok := live[manifest.KeyOf(o)]; ok {
			present = append(present, o)
		}
	}
	after, conflicts, err := cfg.dryRun(ctx, present, true)
	if err == nil {
		err = cfg.settle(ctx, present, &snapshot{live: live, after: after, conflicts: conflicts}, true)
	}
	if err != nil {
		if apply.IsInput(err) {
			return nil, &plan.InputError{Err: fmt.Errorf("server-side dry run of revision %d: %w", last.Number, err)}
		}
		return nil, fmt.Errorf("server-side dry run of revision %d: %w", last.Number, err)
	}
	for _, o := range last.Objects {
		k := manifest.KeyOf(o)
		d, err := driftOf(o, live[k], after[k])
		if err != nil {
			return nil, err
		}
		if d == nil {
			rep.InSync = append(rep.InSync, k.String())
			continue
		}
		rep.Objects = append(rep.Objects, *d)
	}
	return rep, nil
}

// driftOf compares one object of the revision with its live version and the server's
// answer to re-applying it; nil when in sync.
func driftOf(obj, live, answer *unstructured.Unstructured) (*ObjectDrift, error) {
	k := manifest.KeyOf(obj)
	if live == nil {
		want := clean(obj)
		maskSecrets(want, nil)
		text, err := diffText(k, want, nil, "deployed", "deleted")
		if err != nil {
			return nil, err
		}
		return &ObjectDrift{Object: k.String(), Key: k, State: Deleted, Diff: text}, nil
	}
	if answer == nil {
		return nil, fmt.Errorf("compare %s: the server's dry run did not answer for it", k)
	}
	now, want := clean(live), clean(answer)
	maskSecrets(want, now)
	changes := compareValues(contentOf(now), contentOf(want))
	if len(changes) == 0 {
		return nil, nil
	}
	mgrs := managersOf(live)
	d := &ObjectDrift{Object: k.String(), Key: k, State: Changed}
	for _, c := range changes {
		f := FieldDrift{Path: c.Path, Deployed: c.After, Live: c.Before}
		if o, ok := ownerOf(mgrs, c.steps, apply.FieldManager); ok {
			f.ChangedBy = &o
		}
		d.Fields = append(d.Fields, f)
	}
	text, err := diffText(k, now, want, "live", "deployed")
	if err != nil {
		return nil, err
	}
	d.Diff = text
	return d, nil
}
