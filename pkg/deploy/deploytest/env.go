package deploytest

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// Env is a deploy.Config wired to fakes, with the fakes at hand.
type Env struct {
	Config  *deploy.Config
	Cluster *Cluster
	Tracker *Tracker
	Locker  *Locker
	// Store wraps a store.Memory.
	Store *Store
	Clock *clocktesting.FakeClock
}

// New returns an Env: a fake cluster holding copies of objs, a tracker that finds
// everything ready, a free lock, an empty in-memory store, a fake clock, and Mapper's
// kinds.
func New(objs ...*unstructured.Unstructured) *Env {
	e := &Env{
		Cluster: NewCluster(objs...),
		Tracker: &Tracker{},
		Locker:  &Locker{},
		Store:   &Store{Store: store.NewMemory()},
		Clock:   clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	e.Config = &deploy.Config{
		Mapper: Mapper(), Cluster: e.Cluster, Store: e.Store, Tracker: e.Tracker, Locker: e.Locker,
		Holder: "test-holder", Clock: e.Clock,
	}
	return e
}

// Mapper returns a RESTMapper that knows ConfigMap, Secret, Service, Namespace,
// Deployment, Job and CustomResourceDefinition.
func Mapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range []struct {
		gvk   schema.GroupVersionKind
		scope meta.RESTScope
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace},
		{schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, meta.RESTScopeNamespace},
		{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, meta.RESTScopeNamespace},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace},
		{schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, meta.RESTScopeNamespace},
		{schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, meta.RESTScopeRoot},
	} {
		m.Add(k.gvk, k.scope)
	}
	return m
}

// Object returns an object of kind (apiVersion, kind) named name in namespace ("" for
// none), with data as its "data" field when given.
func Object(apiVersion, kind, namespace, name string, data map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{}}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetNamespace(namespace)
	o.SetName(name)
	if data != nil {
		o.Object["data"] = data
	}
	return o
}

// ConfigMap returns a ConfigMap without a namespace (a deploy defaults it) with one key.
func ConfigMap(name, value string) *unstructured.Unstructured {
	return Object("v1", "ConfigMap", "", name, map[string]any{"v": value})
}
