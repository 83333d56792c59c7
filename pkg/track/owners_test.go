package track

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/pkg/health"
)

func controller(uid types.UID) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{UID: uid, Controller: &yes, Name: "owner", Kind: "Owner", APIVersion: "v1"}}
}

func TestOwnersAttributeEventsToTheTrackedObject(t *testing.T) {
	t.Parallel()
	dep := &unstructured.Unstructured{}
	dep.SetAPIVersion("apps/v1")
	dep.SetKind("Deployment")
	dep.SetNamespace("ns")
	dep.SetName("web")
	dep.SetUID("dep")
	rel := health.Related{
		ReplicaSets: []*appsv1.ReplicaSet{
			{ObjectMeta: metav1.ObjectMeta{Name: "web-1", UID: "rs1", OwnerReferences: controller("dep")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "other-1", UID: "rs2", OwnerReferences: controller("other")}},
		},
		Pods: []*corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Name: "web-1-a", UID: "p1", OwnerReferences: controller("rs1")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "other-1-a", UID: "p2", OwnerReferences: controller("rs2")}},
		},
	}
	o := newOwners()
	o.add(3, &target{ref: RefOf(dep)}, dep, rel)
	for _, tc := range []struct {
		name string
		ref  corev1.ObjectReference
		want bool
	}{
		{"the deployment by uid", corev1.ObjectReference{UID: "dep"}, true},
		{"the deployment by name", corev1.ObjectReference{Kind: "Deployment", Namespace: "ns", Name: "web"}, true},
		{"its replicaset", corev1.ObjectReference{UID: "rs1"}, true},
		{"its pod", corev1.ObjectReference{UID: "p1"}, true},
		{"another replicaset", corev1.ObjectReference{UID: "rs2"}, false},
		{"another pod", corev1.ObjectReference{UID: "p2"}, false},
		{"same name, other kind", corev1.ObjectReference{Kind: "Service", Namespace: "ns", Name: "web"}, false},
		// An event about an earlier object of the same name (deleted and made again) is
		// not about this one.
		{"same name, other uid", corev1.ObjectReference{Kind: "Deployment", Namespace: "ns", Name: "web", UID: "old-dep"}, false},
	} {
		i, ok := o.of(tc.ref)
		if ok != tc.want || (ok && i != 3) {
			t.Errorf("%s: got %d, %v; want found=%v", tc.name, i, ok, tc.want)
		}
	}
}

func TestEventTimeAndDedupe(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(last time.Time, count int32) *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(base)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1-a", UID: "p1"},
			Reason:         "BackOff", Message: "Back-off restarting failed container app",
			Type: corev1.EventTypeWarning, Count: count,
			FirstTimestamp: metav1.NewTime(base), LastTimestamp: metav1.NewTime(last),
		}
	}
	first, repeat := ev(base, 1), ev(base.Add(time.Minute), 5)
	if got := eventTime(repeat); !got.Equal(base.Add(time.Minute)) {
		t.Errorf("eventTime = %v, want the last observation", got)
	}
	if eventKey(first) != eventKey(repeat) {
		t.Error("a repeated event must dedupe to one key")
	}
	other := ev(base, 1)
	other.Message = "Liveness probe failed"
	if eventKey(first) == eventKey(other) {
		t.Error("different messages must not dedupe")
	}
	series := ev(base, 1)
	series.Series = &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(base.Add(2 * time.Minute))}
	if got := eventTime(series); !got.Equal(base.Add(2 * time.Minute)) {
		t.Errorf("eventTime of a series = %v, want its last observation", got)
	}
}

func TestObjectRefString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref  ObjectRef
		want string
	}{
		{ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}, "apps/Deployment prod/web"},
		{ObjectRef{Kind: "Service", Namespace: "prod", Name: "web"}, "Service prod/web"},
		{ObjectRef{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "w.example.com"}, "apiextensions.k8s.io/CustomResourceDefinition w.example.com"},
	} {
		if got := tc.ref.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestStaticKindsAreReadyWithoutAWatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		group, kind string
		static      bool
	}{
		{"", "ConfigMap", true},
		{"", "Secret", true},
		{"rbac.authorization.k8s.io", "RoleBinding", true},
		{"", "Service", false},
		{"apps", "Deployment", false},
		{"example.com", "Widget", false},
	} {
		if got := isStatic(tc.group, tc.kind); got != tc.static {
			t.Errorf("isStatic(%s/%s) = %v, want %v", tc.group, tc.kind, got, tc.static)
		}
	}
}
