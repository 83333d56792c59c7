package deploy

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// chartCRDKept says why a CRD of a chart's crds/ is not deleted with the rest.
const chartCRDKept = "a CRD of the chart's crds/, which is never deleted with the release, as Helm never deletes one: " +
	"deleting it deletes every custom resource of its kind in the cluster (`shipsafe uninstall --delete-crds` does)"

// leftCRDsMessage says, in one line, that the chart's CRDs left (spec.leftCRDs) stay as
// they are.
func leftCRDsMessage(left []*unstructured.Unstructured) string {
	const why = "a chart's crds/ are created when absent and never upgraded, as Helm does; --update-crds applies the chart's version"
	if len(left) == 1 {
		return fmt.Sprintf("%s exists: left as it is (%s)", manifest.KeyOf(left[0]), why)
	}
	names := make([]string, len(left))
	for i, o := range left {
		names[i] = o.GetName()
	}
	return fmt.Sprintf("%d CRDs of the chart's crds/ exist, each left as it is (%s): %s", len(left), why, strings.Join(names, ", "))
}

// chartCRDs returns the keys of the CRDs the charts of revs name as their crds/
// (plan.ChartCRDs).
func chartCRDs(revs ...*release.Revision) map[manifest.Key]bool {
	var charts []*release.Chart
	for _, r := range revs {
		if r != nil {
			charts = append(charts, r.Chart)
		}
	}
	return plan.ChartCRDs(charts...)
}

// keepChartCRDs returns, for apply.DeleteOptions.Keep, the CRDs the charts of revs name
// as their crds/: a delete leaves them in place, without the release's ownership.
func keepChartCRDs(revs ...*release.Revision) map[manifest.Key]string {
	keep := map[manifest.Key]string{}
	for k := range chartCRDs(revs...) {
		keep[k] = chartCRDKept
	}
	return keep
}

// crdShells returns shells (see release.ObjectRef.Shell) of the CRDs keys, in key order.
func crdShells(keys map[manifest.Key]bool) []*unstructured.Unstructured {
	sorted := make([]manifest.Key, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, manifest.Key.Compare)
	out := make([]*unstructured.Unstructured, len(sorted))
	for i, k := range sorted {
		out[i] = release.ObjectRef{APIVersion: k.Group + "/v1", Kind: k.Kind, Name: k.Name}.Shell()
	}
	return out
}
