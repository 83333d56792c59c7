package manifest

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ReleaseNamespaceAnnotation holds, on every object a release manages, the namespace of
// that release (where its records live), as Helm's meta.helm.sh/release-namespace does.
// With ReleaseLabel it makes the owner: releases of one name in two namespaces are two
// owners.
const ReleaseNamespaceAnnotation = "shipsafe.io/release-namespace"

// Resource-policy annotations. An object carrying either with the value KeepPolicy is
// never deleted by prune, uninstall or the cleanup of a failed deploy: it stays, without
// the release's ownership.
const (
	HelmResourcePolicyAnnotation = "helm.sh/resource-policy"
	ResourcePolicyAnnotation     = "shipsafe.io/resource-policy"
	KeepPolicy                   = "keep"
)

// Owner is a release as the owner of objects: the release namespace and name.
type Owner struct {
	Namespace, Name string
}

// String renders "release prod/web".
func (o Owner) String() string {
	if o.Namespace == "" {
		return fmt.Sprintf("release %q (namespace unknown: labelled by an older shipsafe)", o.Name)
	}
	return fmt.Sprintf("release %s/%s", o.Namespace, o.Name)
}

// OwnerOf returns the owner that labels and annotations (an object's metadata) name,
// and false when the object belongs to no shipsafe release. An object labelled by an
// older shipsafe, with ReleaseLabel but no ReleaseNamespaceAnnotation, has an Owner with
// an empty Namespace.
func OwnerOf(labels, annotations map[string]string) (Owner, bool) {
	name := labels[ReleaseLabel]
	if name == "" {
		return Owner{}, false
	}
	return Owner{Namespace: annotations[ReleaseNamespaceAnnotation], Name: name}, true
}

// Owns reports whether an object with labels and annotations belongs to o. An object
// labelled by an older shipsafe (no namespace annotation) belongs to every release of
// its label's name: that is all such an object says; the next deploy of its release
// stamps the namespace.
func (o Owner) Owns(labels, annotations map[string]string) bool {
	got, ok := OwnerOf(labels, annotations)
	return ok && got.Name == o.Name && (got.Namespace == "" || got.Namespace == o.Namespace)
}

// DescribeOwner names who owns an object with labels and annotations, for messages:
// "release prod/web" or "no shipsafe release".
func DescribeOwner(labels, annotations map[string]string) string {
	if o, ok := OwnerOf(labels, annotations); ok {
		return o.String()
	}
	return "no shipsafe release"
}

// Kept reports whether annotations ask that the object outlive its release
// (HelmResourcePolicyAnnotation or ResourcePolicyAnnotation set to KeepPolicy), and
// names the annotation that does.
func Kept(annotations map[string]string) (string, bool) {
	for _, a := range []string{ResourcePolicyAnnotation, HelmResourcePolicyAnnotation} {
		if strings.TrimSpace(annotations[a]) == KeepPolicy {
			return a, true
		}
	}
	return "", false
}

// SetOwner stamps owner on every object, in place: ReleaseLabel=owner.Name and
// ReleaseNamespaceAnnotation=owner.Namespace, replacing values already there. Pod
// templates are left alone, as SetReleaseLabel explains. It returns an error, changing
// nothing, when the name is not a valid label value or the namespace is empty.
func SetOwner(objs []*unstructured.Unstructured, owner Owner) error {
	if owner.Namespace == "" {
		return fmt.Errorf("set owner: release %q has no namespace", owner.Name)
	}
	if errs := validation.IsDNS1123Label(owner.Namespace); len(errs) > 0 {
		return fmt.Errorf("set owner: release namespace %q is not a namespace name: %s", owner.Namespace, strings.Join(errs, "; "))
	}
	if err := SetReleaseLabel(objs, owner.Name); err != nil {
		return err
	}
	for _, o := range objs {
		ann := o.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[ReleaseNamespaceAnnotation] = owner.Namespace
		o.SetAnnotations(ann)
	}
	return nil
}
