package manifest

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// newObject checks that m is a usable object and wraps it. It reports every missing field
// at once so one edit fixes the document.
func newObject(m map[string]any, loc Location) (*unstructured.Unstructured, error) {
	fail := func(reason, hint string) error {
		return &DocumentError{Location: loc, Reason: reason, Hint: hint}
	}
	apiVersion, okAV := m["apiVersion"].(string)
	kind, okKind := m["kind"].(string)
	if m["apiVersion"] != nil && !okAV {
		return nil, fail("apiVersion is not a string", `write it as e.g. "apiVersion: apps/v1"`)
	}
	if m["kind"] != nil && !okKind {
		return nil, fail("kind is not a string", `write it as e.g. "kind: Deployment"`)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fail(fmt.Sprintf("apiVersion %q is invalid", apiVersion), `use "group/version" or "v1" for the core group, e.g. "apps/v1"`)
	}
	if gv.Group == "kustomize.config.k8s.io" {
		return nil, fail("this is a kustomization file, not a Kubernetes object",
			"render it first (kubectl kustomize DIR | shipsafe ... -f -) or pass the files it lists")
	}
	var missing []string
	if apiVersion == "" {
		missing = append(missing, "apiVersion")
	}
	if kind == "" {
		missing = append(missing, "kind")
	}
	meta, isMap := m["metadata"].(map[string]any)
	if m["metadata"] != nil && !isMap {
		return nil, fail("metadata is not a mapping", "indent name, namespace and labels under metadata:")
	}
	if _, ok := meta["name"].(string); meta["name"] != nil && !ok {
		return nil, fail("metadata.name is not a string", "quote the name")
	}
	if ns, ok := meta["namespace"]; ok && ns != nil {
		if _, isStr := ns.(string); !isStr {
			return nil, fail("metadata.namespace is not a string", "quote the namespace")
		}
	}
	name, _ := meta["name"].(string)
	if name == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		hint := `every object needs apiVersion, kind and metadata.name, e.g. "apiVersion: apps/v1", "kind: Deployment", "metadata: {name: web}"`
		if _, ok := meta["generateName"]; ok && name == "" {
			hint = "set metadata.name: generateName is not supported, server-side apply needs a fixed name"
		}
		return nil, fail("missing "+strings.Join(missing, ", "), hint)
	}
	obj := &unstructured.Unstructured{Object: m}
	if errs, rule := nameErrors(gv.Group, kind, name); len(errs) > 0 {
		return nil, fail(fmt.Sprintf("%s: metadata.name %q is invalid: %s", kind, name, strings.Join(errs, "; ")), "rename it: "+rule)
	}
	if ns := obj.GetNamespace(); ns != "" {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fail(fmt.Sprintf("%s %s: metadata.namespace %q is invalid: %s", kind, name, ns, strings.Join(errs, "; ")),
				"use lowercase letters, digits and '-', at most 63 characters")
		}
	}
	return obj, nil
}

// nameErrors validates name with the rule the API server applies to kind: RBAC objects
// take any path segment (names like "system:reader" are common), Namespaces must be
// DNS-1123 labels and Services DNS-1035 labels; everything else, custom resources
// included, must be a DNS-1123 subdomain. It returns the problems and the rule in words.
func nameErrors(group, kind, name string) ([]string, string) {
	switch {
	case group == "rbac.authorization.k8s.io":
		return path.IsValidPathSegmentName(name), `any name without "/" or "%", other than "." and ".."`
	case group == "" && kind == "Namespace":
		return validation.IsDNS1123Label(name), "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
	case group == "" && kind == "Service":
		return validation.IsDNS1035Label(name), "lowercase letters, digits and '-', starting with a letter, at most 63 characters"
	default:
		return validation.IsDNS1123Subdomain(name), "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters"
	}
}
