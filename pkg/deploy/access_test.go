package deploy_test

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
)

// accessFunc is an AccessReviewer whose answer a test chooses.
type accessFunc func(perms []access.Permission) []access.Permission

func (f accessFunc) Missing(_ context.Context, perms []access.Permission) ([]access.Permission, error) {
	return f(perms), nil
}

// TestMissingPermissionStopsBeforeAnyChange checks that the deploy asks for every
// permission it needs (the same list as deploy.Permissions) before it reads, validates,
// locks or records anything, and that one missing permission is an InputError naming it.
func TestMissingPermissionStopsBeforeAnyChange(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	objs := []*unstructured.Unstructured{deploytest.ConfigMap("a", "1")}
	var asked []access.Permission
	e.Config.Access = accessFunc(func(perms []access.Permission) []access.Permission {
		asked = perms
		var missing []access.Permission
		for _, p := range perms {
			if p.Resource == "configmaps" && p.Verb == "patch" {
				missing = append(missing, p)
			}
		}
		return missing
	})
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{Release: rel, Namespace: ns, Objects: objs})
	var input *deploy.InputError
	var missing *access.MissingError
	if !errors.As(err, &input) || !errors.As(err, &missing) {
		t.Fatalf("error %v (%T), want an InputError wrapping an access.MissingError", err, err)
	}
	if len(missing.Missing) != 1 || missing.Missing[0].String() != `patch configmaps in namespace "prod"` {
		t.Errorf("missing %v, want patch configmaps in prod", missing.Missing)
	}
	want, err := deploy.Permissions(e.Config.Mapper, deploy.DeployOptions{Release: rel, Namespace: ns, Objects: objs})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != len(want) {
		t.Errorf("asked for %d permissions, deploy.Permissions lists %d", len(asked), len(want))
	}
	if n := len(e.Cluster.DryRun()) + len(e.Cluster.Applied()); n > 0 {
		t.Errorf("%d objects dry-run or applied before the permission check", n)
	}
	if list, _ := e.Store.List(context.Background()); len(list) > 0 {
		t.Errorf("records written: %d", len(list))
	}
}
