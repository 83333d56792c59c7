package plan

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/internal/objjson"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Digest returns a short digest (128 bits of SHA-256, base64) of the normalized obj's
// canonical JSON: equal digests mean the same desired state, whatever the key order or
// formatting of the files it came from.
func Digest(obj *unstructured.Unstructured) (string, error) {
	data, err := objjson.Marshal(obj.Object) // encoding/json's bytes: digests recorded before stay equal
	if err != nil {
		return "", fmt.Errorf("digest %s: %w", manifest.KeyOf(obj), err)
	}
	sum := sha256.Sum256(data)
	return base64.RawStdEncoding.EncodeToString(sum[:16]), nil
}

// Unchanged returns, by key string, the recorded state of those normalized objs that a
// deploy need not apply: last applied exactly this object (same Digest), and the live
// object (existing, from apply.Applier.Existing) is still as that apply left it (see
// untouched). Every other object must be applied. With no last deployed revision, or
// one recorded without Applied, nothing is unchanged.
func Unchanged(objs []*unstructured.Unstructured, last *release.Revision, existing map[manifest.Key]*metav1.ObjectMeta) (map[string]release.AppliedState, error) {
	out := map[string]release.AppliedState{}
	if last == nil || len(last.Applied) == 0 {
		return out, nil
	}
	type candidate struct {
		obj  *unstructured.Unstructured
		key  string
		was  release.AppliedState
		live *metav1.ObjectMeta
	}
	var cands []candidate
	for _, o := range objs {
		k := manifest.KeyOf(o)
		was, ok := last.Applied[k.String()]
		live := existing[k]
		if ok && live != nil && untouched(o, was, live) {
			cands = append(cands, candidate{o, k.String(), was, live})
		}
	}
	// The digests, the bulk of the work, on every core.
	digests, errs := make([]string, len(cands)), make([]error, len(cands))
	fanout.Chunks(len(cands), 64, func(i int) { digests[i], errs[i] = Digest(cands[i].obj) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, c := range cands {
		if digests[i] == c.was.Digest {
			// Recorded as seen now, so that the next deploy finds the same
			// resourceVersion while nothing changes.
			out[c.key] = appliedState(digests[i], c.live.ResourceVersion, c.live.Generation, c.live.UID)
		}
	}
	return out, nil
}

// untouched reports whether live is still as the apply recorded in was left it: the
// same resourceVersion; or, for a kind whose generation the API server counts (it
// changes with every change outside metadata and status), the same object (UID) with the
// same generation and every
// label and annotation of desired with its value, so that only status or fields desired
// does not set (a controller's annotations) changed.
func untouched(desired *unstructured.Unstructured, was release.AppliedState, live *metav1.ObjectMeta) bool {
	if was.ResourceVersion != "" && live.ResourceVersion == was.ResourceVersion {
		return true
	}
	if was.Generation == 0 || live.Generation != was.Generation || was.UID == "" || live.UID != was.UID {
		return false
	}
	return hasAll(live.Labels, desired.GetLabels()) && hasAll(live.Annotations, desired.GetAnnotations())
}

// hasAll reports whether have holds every key of want with the same value.
func hasAll(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Changed returns those objs, in their order, that have no entry in unchanged (as
// returned by Unchanged): the objects to validate and apply.
func Changed(objs []*unstructured.Unstructured, unchanged map[string]release.AppliedState) []*unstructured.Unstructured {
	if len(unchanged) == 0 {
		return objs
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if _, ok := unchanged[manifest.KeyOf(o).String()]; !ok {
			out = append(out, o)
		}
	}
	return out
}

// RecordApplied adds to state the digest, resourceVersion and generation of each applied object: the
// server's answers to applying desired (matched by key). Objects without an answer get
// no entry, so the next deploy applies them.
func RecordApplied(state map[string]release.AppliedState, desired, applied []*unstructured.Unstructured) error {
	live := manifest.Index(applied)
	for _, o := range desired {
		k := manifest.KeyOf(o)
		l, ok := live[k]
		if !ok || l.GetResourceVersion() == "" {
			continue
		}
		d, err := Digest(o)
		if err != nil {
			return err
		}
		state[k.String()] = appliedState(d, l.GetResourceVersion(), l.GetGeneration(), l.GetUID())
	}
	return nil
}

// appliedState is the recorded state of an object with digest d seen at resourceVersion
// rv; generation and uid are kept only for kinds that count generations.
func appliedState(d, rv string, generation int64, uid types.UID) release.AppliedState {
	s := release.AppliedState{Digest: d, ResourceVersion: rv}
	if generation > 0 {
		s.Generation, s.UID = generation, uid
	}
	return s
}
