package deploy

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// checkAccess asks the API server, before anything changes, whether the caller has every
// permission the deploy of s needs (access.Required). Missing permissions are an
// InputError wrapping an *access.MissingError that names each one and the rule granting
// it, so a deploy never fails halfway, or waits silently, for want of a permission.
// normalized are s.Objects as plan.Normalize returned them.
func (d *Deploy) checkAccess(ctx context.Context, s *spec, normalized []*unstructured.Unstructured) error {
	if d.cfg.Access == nil {
		return nil
	}
	opts := s.DeployOptions
	// A namespace that exists needs no creating, whatever the flag says.
	opts.CreateNamespace = s.namespaceMissing && s.CreateNamespace
	perms, err := permissions(d.cfg.Mapper, opts, normalized)
	if err != nil {
		return err
	}
	missing, err := d.cfg.Access.Missing(ctx, perms)
	if err != nil {
		return &InputError{Err: fmt.Errorf("check permissions before any change: %w; check the cluster is reachable", err)}
	}
	if len(missing) > 0 {
		return &InputError{Err: &access.MissingError{Release: opts.Release, Missing: missing}}
	}
	return nil
}

// Permissions returns every permission that deploying opts (its objects and hooks in
// opts.Namespace, with opts.CreateNamespace), rolling it back and uninstalling it need:
// what the deploy checks before any change and what `shipsafe rbac` grants. mapper
// resolves kinds, as for the deploy. Errors are InputErrors.
func Permissions(mapper meta.RESTMapper, opts DeployOptions) ([]access.Permission, error) {
	return permissions(mapper, opts, nil)
}

// permissions is Permissions; normalized, when not nil, are opts.Objects as
// plan.Normalize returned them, which spares normalizing them again when there are no
// hooks (hooks are normalized together with the objects: a CRD among the objects may
// define a hook's kind).
func permissions(mapper meta.RESTMapper, opts DeployOptions, normalized []*unstructured.Unstructured) ([]access.Permission, error) {
	norm := normalized
	if norm == nil || len(opts.Hooks) > 0 {
		all := make([]*unstructured.Unstructured, 0, len(opts.Objects)+len(opts.Hooks))
		all = append(all, opts.Objects...)
		for _, h := range opts.Hooks {
			// Test hooks are recorded, never created.
			if h.Object != nil && slices.ContainsFunc(h.Events, func(e string) bool { return e != release.HookTest }) {
				all = append(all, h.Object)
			}
		}
		var err error
		if norm, err = plan.Normalize(mapper, all, opts.Release, opts.Namespace); err != nil {
			return nil, err
		}
	}
	objs, err := access.Resolve(mapper, norm)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("work out the permissions release %q needs: %w", opts.Release, err)}
	}
	return access.Required(access.Release{
		Namespace:       opts.Namespace,
		Objects:         objs,
		CreateNamespace: opts.CreateNamespace && ownNamespace(opts.Objects, opts.Namespace) == nil,
	}), nil
}
