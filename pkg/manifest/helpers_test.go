package manifest

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// load reads fixture files through FileSource and fails the test on error.
func load(t *testing.T, paths ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := FileSource{Paths: paths}.Load(context.Background())
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	return objs
}
