package kustomize

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

func keys(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = manifest.KeyOf(o).String()
	}
	return out
}

func TestLoadBaseAndOverlay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		dir          string
		wantKeys     []string
		wantReplicas int64
		wantConfig   map[string]string
	}{
		{
			name:         "base",
			dir:          "testdata/app/base",
			wantKeys:     []string{"ConfigMap web-config-", "Service web", "apps/Deployment web"},
			wantReplicas: 1,
			wantConfig:   map[string]string{"color": "blue"},
		},
		{
			name:         "overlay: namePrefix, a patch and a merged configMapGenerator",
			dir:          "testdata/app/overlays/prod",
			wantKeys:     []string{"ConfigMap prod-web-config-", "Service prod-web", "apps/Deployment prod-web"},
			wantReplicas: 3,
			wantConfig:   map[string]string{"color": "green", "tier": "prod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs, err := Source{Dir: tt.dir}.Load(context.Background())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := keys(objs)
			if len(got) != len(tt.wantKeys) {
				t.Fatalf("keys %q, want %d objects like %q", got, len(tt.wantKeys), tt.wantKeys)
			}
			for i, want := range tt.wantKeys {
				// The generated ConfigMap's name ends in a content hash.
				if !strings.HasPrefix(got[i], want) || strings.HasSuffix(want, "-") && len(got[i]) <= len(want) {
					t.Errorf("object %d is %q, want %q", i, got[i], want)
				}
			}
			cm, dep := objs[0], objs[2]
			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			if len(data) != len(tt.wantConfig) {
				t.Errorf("config data %v, want %v", data, tt.wantConfig)
			}
			for k, v := range tt.wantConfig {
				if data[k] != v {
					t.Errorf("config data %v, want %v", data, tt.wantConfig)
				}
			}
			replicas, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
			if replicas != tt.wantReplicas {
				t.Errorf("replicas %d, want %d", replicas, tt.wantReplicas)
			}
			// kustomize rewrites the reference to the generated (prefixed, hashed) name.
			containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			ref, _, _ := unstructured.NestedString(containers[0].(map[string]any)["envFrom"].([]any)[0].(map[string]any), "configMapRef", "name")
			if ref != cm.GetName() {
				t.Errorf("envFrom refers to ConfigMap %q, want the generated %q", ref, cm.GetName())
			}
		})
	}
}

func TestLoadIsDeterministic(t *testing.T) {
	t.Parallel()
	first, err := Source{Dir: "testdata/app/overlays/prod"}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second, err := Source{Dir: "testdata/app/overlays/prod"}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := keys(first), keys(second); !slices.Equal(a, b) {
		t.Errorf("two builds differ: %q and %q", a, b)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dir  string
		want []string
	}{
		{name: "no directory given", dir: "", want: []string{"pass -k DIR"}},
		{name: "missing directory", dir: "testdata/nothere", want: []string{"testdata/nothere does not exist"}},
		{name: "a file, not a directory", dir: "testdata/bad/plain/cm.yaml", want: []string{"is a file", "holds kustomization.yaml"}},
		{name: "plain manifests", dir: "testdata/bad/plain", want: []string{"holds no kustomization.yaml", "-f for plain manifests"}},
		{name: "a resource that does not exist", dir: "testdata/bad/missing-resource",
			want: []string{"kustomize build testdata/bad/missing-resource", "nothere.yaml", "kubectl kustomize testdata/bad/missing-resource"}},
		{name: "a rendered object that is invalid", dir: "testdata/bad/invalid-object",
			want: []string{`kustomize testdata/bad/invalid-object:1 (document 1): ConfigMap: metadata.name "Bad_Name" is invalid`}},
		{name: "an empty kustomization", dir: "testdata/bad/empty", want: []string{"kustomization.yaml is empty"}},
		{name: "no objects", dir: "testdata/bad/no-objects", want: []string{"renders no objects"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs, err := Source{Dir: tt.dir}.Load(context.Background())
			if err == nil {
				t.Fatalf("Load returned %d objects and no error", len(objs))
			}
			if !errors.Is(err, manifest.ErrInvalid) {
				t.Errorf("error does not match manifest.ErrInvalid: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadHonoursCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	objs, err := Source{Dir: "testdata/app/base"}.Load(ctx)
	if !errors.Is(err, context.Canceled) || objs != nil {
		t.Fatalf("Load = %d objects, %v; want nothing and context.Canceled", len(objs), err)
	}
}
