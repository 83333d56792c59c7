package deploy

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// checkAccess asks the API server, before anything changes, whether the caller has every
// permission the deploy of s needs (access.Required). Missing permissions are an
// InputError wrapping an *access.MissingError that names each one and the rule granting
// it, so a deploy never fails halfway, or waits silently, for want of a permission.
func (d *Deploy) checkAccess(ctx context.Context, s *spec) error {
	if d.cfg.Access == nil {
		return nil
	}
	objs, err := releaseObjects(d, s)
	if err != nil {
		return err
	}
	perms := access.Required(access.Release{
		Namespace:       s.Namespace,
		Objects:         objs,
		CreateNamespace: s.namespaceMissing && s.CreateNamespace && ownNamespace(s.Objects, s.Namespace) == nil,
	})
	missing, err := d.cfg.Access.Missing(ctx, perms)
	if err != nil {
		return &InputError{Err: fmt.Errorf("check permissions before any change: %w; check the cluster is reachable", err)}
	}
	if len(missing) > 0 {
		return &InputError{Err: &access.MissingError{Release: s.Release, Missing: missing}}
	}
	return nil
}

// releaseObjects resolves the objects and hooks of s, normalized, to their resources.
func releaseObjects(d *Deploy, s *spec) ([]access.Object, error) {
	all := make([]*unstructured.Unstructured, 0, len(s.Objects)+len(s.Hooks))
	all = append(all, s.Objects...)
	for _, h := range s.Hooks {
		// Test hooks are recorded, never created.
		if h.Object != nil && slices.ContainsFunc(h.Events, func(e string) bool { return e != release.HookTest }) {
			all = append(all, h.Object)
		}
	}
	norm, err := plan.Normalize(d.cfg.Mapper, all, s.Release, s.Namespace)
	if err != nil {
		return nil, err
	}
	objs, err := access.Resolve(d.cfg.Mapper, norm)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("check permissions: %w", err)}
	}
	return objs, nil
}
