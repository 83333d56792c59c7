package plan

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// ChartCRDs returns the keys of the CustomResourceDefinitions that charts name as
// theirs from crds/ directories (release.Chart.CRDs), which follow Helm's rule: created
// when absent, never upgraded or deleted unless the user asks. References to other
// kinds are ignored; nil charts name none.
func ChartCRDs(charts ...*release.Chart) map[manifest.Key]bool {
	keys := map[manifest.Key]bool{}
	for _, c := range charts {
		if c == nil {
			continue
		}
		for _, ref := range c.CRDs {
			k := manifest.KeyOf(ref.Shell())
			k.Namespace = "" // CRDs are cluster-scoped, whatever the chart wrote
			if manifest.IsCRD(k) {
				keys[k] = true
			}
		}
	}
	return keys
}

// LeaveCRDs splits objs for a deploy that does not update a chart's CRDs: keep are objs
// less the CRDs among crds (from ChartCRDs) that exist (in existing, as returned by
// apply.Applier.Existing), which are left as they are, in order.
func LeaveCRDs(objs []*unstructured.Unstructured, crds map[manifest.Key]bool, existing map[manifest.Key]*metav1.ObjectMeta) (keep, left []*unstructured.Unstructured) {
	for _, o := range objs {
		k := manifest.KeyOf(o)
		if _, ok := existing[k]; ok && crds[k] {
			left = append(left, o)
			continue
		}
		keep = append(keep, o)
	}
	return keep, left
}

// Without returns objs less those whose key is in keys, in order.
func Without(objs []*unstructured.Unstructured, keys map[manifest.Key]bool) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if !keys[manifest.KeyOf(o)] {
			out = append(out, o)
		}
	}
	return out
}
