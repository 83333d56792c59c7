package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// leftovers returns the objects that failed revisions newer than last (every failed
// revision when last is nil) created and left in place and that still carry the
// release's label (plan.LeftBehind, plan.Leftovers): prune and uninstall delete them.
func leftovers(ctx context.Context, cfg *Config, revs []*release.Revision, last *release.Revision) ([]*unstructured.Unstructured, error) {
	shells := plan.LeftBehind(revs, last)
	if len(shells) == 0 {
		return nil, nil
	}
	existing, err := cfg.Applier.Existing(ctx, shells)
	if err != nil {
		return nil, fmt.Errorf("look for objects failed revisions left: %w", err)
	}
	return plan.Leftovers(shells, existing, revs[0].Release), nil
}
