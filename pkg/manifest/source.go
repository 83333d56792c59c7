package manifest

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Source yields the objects of one deploy. FileSource reads plain files; kustomize and
// Helm sources will implement the same interface. Load must honour ctx, return objects in
// a deterministic order, and report bad input with errors that match ErrInvalid.
type Source interface {
	Load(ctx context.Context) ([]*unstructured.Unstructured, error)
}

var _ Source = FileSource{}
