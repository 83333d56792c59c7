package manifest

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ReleaseLabel is the label every object managed by a release carries; its value is the
// release name.
const ReleaseLabel = "shipsafe.io/release"

// SetReleaseLabel sets ReleaseLabel=release in the metadata.labels of every object, in
// place, replacing any value already there. It returns an error, changing nothing, when
// release is not a valid label value.
//
// Pod templates (spec.template, spec.jobTemplate) are deliberately left alone: a
// Deployment's selector is immutable and its pods' labels feed Service selectors, so
// relabelling them would either roll every pod on the first shipsafe deploy or break
// objects first created by another tool. Find a release's pods through their owners.
func SetReleaseLabel(objs []*unstructured.Unstructured, release string) error {
	if release == "" {
		return fmt.Errorf("set release label: the release name is empty")
	}
	if errs := validation.IsValidLabelValue(release); len(errs) > 0 {
		return fmt.Errorf("set release label: release name %q is not a valid label value: %s", release, strings.Join(errs, "; "))
	}
	for _, o := range objs {
		labels := o.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[ReleaseLabel] = release
		o.SetLabels(labels)
	}
	return nil
}
