package diff

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// settleAttempts bounds how often settle reads and dry-runs an object again.
const settleAttempts = 3

// snapshot is the live version and the dry-run answer of a set of objects.
type snapshot struct {
	live      map[manifest.Key]*unstructured.Unstructured
	after     map[manifest.Key]*unstructured.Unstructured
	conflicts map[manifest.Key][]Conflict
}

// settle makes every dry-run answer in s come from the live version s holds. A dry run
// answers with the resourceVersion of the stored object it started from, so an answer
// whose resourceVersion differs from the live object's was computed from a newer (or
// older) version: a controller wrote the object between the read and the dry run (a
// Deployment's controller does so while it rolls out), and comparing the two would
// report the controller's change as the deploy's or as drift. Such objects are read
// again and, if still different, dry-run again, up to settleAttempts times; after that
// the last pair is kept.
func (c *Config) settle(ctx context.Context, objs []*unstructured.Unstructured, s *snapshot, force bool) error {
	stale := func(candidates []*unstructured.Unstructured) []*unstructured.Unstructured {
		var out []*unstructured.Unstructured
		for _, o := range candidates {
			k := manifest.KeyOf(o)
			if a, ok := s.after[k]; ok && resourceVersion(a) != resourceVersion(s.live[k]) {
				out = append(out, o)
			}
		}
		return out
	}
	for range settleAttempts {
		redo := stale(objs)
		if len(redo) == 0 {
			return nil
		}
		fresh, err := c.fetch(ctx, redo)
		if err != nil {
			return err
		}
		for _, o := range redo {
			k := manifest.KeyOf(o)
			if l, ok := fresh[k]; ok {
				s.live[k] = l
			} else {
				delete(s.live, k)
			}
		}
		redo = stale(redo)
		if len(redo) == 0 {
			return nil
		}
		after, conflicts, err := c.dryRun(ctx, redo, force)
		if err != nil {
			return err
		}
		for _, o := range redo {
			k := manifest.KeyOf(o)
			if a, ok := after[k]; ok {
				s.after[k] = a
			}
			if cs, ok := conflicts[k]; ok {
				s.conflicts[k] = cs
			} else {
				delete(s.conflicts, k)
			}
		}
	}
	return nil
}

// resourceVersion returns obj's resourceVersion, "" for nil (an absent object, or the
// answer to a dry-run create).
func resourceVersion(obj *unstructured.Unstructured) string {
	if obj == nil {
		return ""
	}
	return obj.GetResourceVersion()
}
