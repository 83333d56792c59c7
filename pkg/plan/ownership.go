package plan

import (
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// OwnershipError says that an existing object does not belong to the release a deploy
// would take it into: it belongs to another release (Owner), or to none (Owner "").
type OwnershipError struct {
	Key manifest.Key
	// Owner is the release the object belongs to, "" when it is not managed by shipsafe.
	Owner string
	// Release is the release that would take it.
	Release string
}

// Error says what to do, for a deploy that refuses the object.
func (e *OwnershipError) Error() string {
	if e.Owner == "" {
		return fmt.Sprintf("%s exists and is not managed by shipsafe; pass --adopt to take it over into release %q (and --force-conflicts if another tool keeps applying its fields), or rename it", e.Key, e.Release)
	}
	return fmt.Sprintf("%s belongs to release %q; deploy it from that release, uninstall that release, or pass --adopt to move it into %q", e.Key, e.Owner, e.Release)
}

// Brief says why a deploy would refuse the object, for a preview of that deploy.
func (e *OwnershipError) Brief() string {
	if e.Owner == "" {
		return "exists and is not managed by shipsafe: deploy refuses it without --adopt"
	}
	return fmt.Sprintf("belongs to release %q: deploy refuses it without --adopt", e.Owner)
}

// CheckOwner is the ownership policy: an existing object with labels may go into release
// rel when it carries rel's release label; otherwise it is an *OwnershipError (the deploy
// needs --adopt).
func CheckOwner(k manifest.Key, labels map[string]string, rel string) *OwnershipError {
	owner := labels[manifest.ReleaseLabel]
	if owner == rel {
		return nil
	}
	return &OwnershipError{Key: k, Owner: owner, Release: rel}
}

// CheckOwnership applies CheckOwner to each of objs that exists (in existing, as returned
// by apply.Applier.Existing), unless adopt. It returns every refusal joined in an
// *InputError, or nil.
func CheckOwnership(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta, rel string, adopt bool) error {
	if adopt {
		return nil
	}
	var errs []error
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if live, ok := existing[k]; ok {
			if err := CheckOwner(k, live.Labels, rel); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return &InputError{Err: errors.Join(errs...)}
	}
	return nil
}
