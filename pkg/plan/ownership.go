package plan

import (
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// OwnershipError says that an existing object does not belong to the release a deploy
// would take it into: it belongs to another release (Owner; the same name in another
// namespace is another release), or to none (Owner "").
type OwnershipError struct {
	Key manifest.Key
	// Owner names the release the object belongs to ("release prod/web"), "" when it is
	// not managed by shipsafe.
	Owner string
	// Release is the release that would take it.
	Release manifest.Owner
}

// Error says what to do, for a deploy that refuses the object.
func (e *OwnershipError) Error() string {
	if e.Owner == "" {
		return fmt.Sprintf("%s exists and is not managed by shipsafe; pass --adopt to take it over into %s (and --force-conflicts if another tool keeps applying its fields), or rename it", e.Key, e.Release)
	}
	return fmt.Sprintf("%s belongs to %s; deploy it from that release, uninstall that release, or pass --adopt to move it into %s", e.Key, e.Owner, e.Release)
}

// Brief says why a deploy would refuse the object, for a preview of that deploy.
func (e *OwnershipError) Brief() string {
	if e.Owner == "" {
		return "exists and is not managed by shipsafe: deploy refuses it without --adopt"
	}
	return fmt.Sprintf("belongs to %s: deploy refuses it without --adopt", e.Owner)
}

// CheckOwner is the ownership policy: an existing object with labels and annotations
// may go into release rel when rel owns it (manifest.Owner.Owns: its release label and
// namespace annotation); otherwise it is an *OwnershipError (the deploy needs --adopt).
func CheckOwner(k manifest.Key, labels, annotations map[string]string, rel manifest.Owner) *OwnershipError {
	if rel.Owns(labels, annotations) {
		return nil
	}
	e := &OwnershipError{Key: k, Release: rel}
	if _, managed := manifest.OwnerOf(labels, annotations); managed {
		e.Owner = manifest.DescribeOwner(labels, annotations)
	}
	return e
}

// CheckOwnership applies CheckOwner to each of objs that exists (in existing, as returned
// by apply.Applier.Existing), unless adopt. It returns every refusal joined in an
// *InputError, or nil.
func CheckOwnership(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta, rel manifest.Owner, adopt bool) error {
	if adopt {
		return nil
	}
	var errs []error
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if live, ok := existing[k]; ok {
			if err := CheckOwner(k, live.Labels, live.Annotations, rel); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return &InputError{Err: errors.Join(errs...)}
	}
	return nil
}
