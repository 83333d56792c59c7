package helmrelease

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
)

// ErrNotFound means Helm has no deployed revision of the release in the namespace.
var ErrNotFound = errors.New("no deployed Helm release")

// Release is the deployed revision of a Helm release.
type Release struct {
	Name      string
	Namespace string
	Revision  int
	Chart     string // name-version
	Objects   []*unstructured.Unstructured
	// Hooks are the hooks Helm recorded with the revision, in Helm's order.
	Hooks []helm.Hook
}

// hookRecord is the part of Helm's stored hook that shipsafe reads.
type hookRecord struct {
	Path           string   `json:"path"`
	Manifest       string   `json:"manifest"`
	Events         []string `json:"events"`
	Weight         int      `json:"weight"`
	DeletePolicies []string `json:"delete_policies"`
}

// record is the part of Helm's stored release that shipsafe reads. Helm 3 and Helm 4 both
// store it as JSON, gzip'd, base64'd, in the Secret's "release" key.
type record struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Version   int    `json:"version"`
	Manifest  string `json:"manifest"`
	Info      struct {
		Status string `json:"status"`
	} `json:"info"`
	Chart struct {
		Metadata struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"metadata"`
	} `json:"chart"`
	Hooks []hookRecord `json:"hooks"`
}

// Load returns the last deployed revision of Helm release name in namespace.
func Load(ctx context.Context, client kubernetes.Interface, namespace, name string) (*Release, error) {
	list, err := client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "owner=helm,name=" + name,
	})
	if err != nil {
		return nil, fmt.Errorf("list Helm records of %q in %q: %w", name, namespace, err)
	}
	// Newest revision first; the deployed one is what runs.
	sort.Slice(list.Items, func(i, j int) bool {
		vi, _ := strconv.Atoi(list.Items[i].Labels["version"])
		vj, _ := strconv.Atoi(list.Items[j].Labels["version"])
		return vi > vj
	})
	for _, s := range list.Items {
		if s.Labels["status"] != "deployed" {
			continue
		}
		rec, err := decode(s.Data["release"])
		if err != nil {
			return nil, fmt.Errorf("read Helm record %s/%s: %w", namespace, s.Name, err)
		}
		objs, err := manifest.Decode(fmt.Sprintf("helm release %s revision %d", name, rec.Version), bytes.NewBufferString(rec.Manifest))
		if err != nil {
			return nil, fmt.Errorf("parse the manifest of Helm release %q revision %d: %w", name, rec.Version, err)
		}
		hooks, err := decodeHooks(name, rec)
		if err != nil {
			return nil, err
		}
		return &Release{
			Name: rec.Name, Namespace: rec.Namespace, Revision: rec.Version,
			Chart:   rec.Chart.Metadata.Name + "-" + rec.Chart.Metadata.Version,
			Objects: objs, Hooks: hooks,
		}, nil
	}
	return nil, fmt.Errorf("%w %q in namespace %q (Helm records found: %d); check the name and -n, "+
		"or `helm list -n %s`", ErrNotFound, name, namespace, len(list.Items), namespace)
}

// decodeHooks parses the manifests of the hooks Helm recorded in rec.
func decodeHooks(name string, rec *record) ([]helm.Hook, error) {
	var hooks []helm.Hook
	for _, h := range rec.Hooks {
		source := fmt.Sprintf("helm release %s revision %d hook %s", name, rec.Version, h.Path)
		objs, err := manifest.Decode(source, bytes.NewBufferString(h.Manifest))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", source, err)
		}
		if len(objs) != 1 {
			return nil, fmt.Errorf("parse %s: %d objects, want one", source, len(objs))
		}
		hooks = append(hooks, helm.Hook{Hook: release.Hook{Object: objs[0], Events: h.Events, Weight: h.Weight, DeletePolicies: h.DeletePolicies}, Path: h.Path})
	}
	return hooks, nil
}

// decode undoes Helm's encoding: base64, then gzip (when the magic header is there), then JSON.
func decode(data []byte) (*record, error) {
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	return &rec, nil
}

// RunnableHooks returns the release's hooks as a shipsafe revision records them, less
// their test events (shipsafe runs no tests), and how many hooks were left out for having
// no other event.
func (r *Release) RunnableHooks() (hooks []release.Hook, tests int) {
	for _, h := range r.Hooks {
		var events []string
		for _, e := range h.Events {
			if e != helm.Test && e != "test-success" {
				events = append(events, e)
			}
		}
		if len(events) == 0 {
			tests++
			continue
		}
		rh := h.Hook
		rh.Events = events
		hooks = append(hooks, rh)
	}
	return hooks, tests
}
