package track

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// owners maps the objects that Warning events may be about (the tracked objects, the
// ReplicaSets of tracked Deployments, the pods of tracked workloads) to the index of the
// tracked object they belong to.
type owners struct {
	byUID  map[types.UID]int
	byName map[string]int // "Kind namespace/name" of tracked objects, for events without a UID
}

func newOwners() owners {
	return owners{byUID: map[types.UID]int{}, byName: map[string]int{}}
}

func nameKey(kind, namespace, name string) string {
	return kind + " " + namespace + "/" + name
}

// add records target i, as last seen (obj may be nil), and what it owns in rel.
func (o owners) add(i int, tg *target, obj *unstructured.Unstructured, rel health.Related) {
	o.setName(nameKey(tg.ref.Kind, tg.ref.Namespace, tg.ref.Name), i)
	if obj == nil {
		return
	}
	uid := obj.GetUID()
	o.setUID(uid, i)
	owned := map[types.UID]bool{uid: true}
	switch tg.ref.Group + "/" + tg.ref.Kind {
	case "apps/Deployment":
		for _, rs := range rel.ReplicaSets {
			if controlledBy(rs, uid) {
				o.setUID(rs.UID, i)
				owned[rs.UID] = true
			}
		}
	case "apps/ReplicaSet", "apps/StatefulSet", "apps/DaemonSet", "batch/Job":
	default:
		return
	}
	for _, p := range rel.Pods {
		if ref := metav1.GetControllerOfNoCopy(p); ref != nil && owned[ref.UID] {
			o.setUID(p.UID, i)
		}
	}
}

// The first tracked object to claim an object keeps it.
func (o owners) setUID(uid types.UID, i int) {
	if _, ok := o.byUID[uid]; !ok && uid != "" {
		o.byUID[uid] = i
	}
}

func (o owners) setName(key string, i int) {
	if _, ok := o.byName[key]; !ok {
		o.byName[key] = i
	}
}

// of returns the tracked object an event's involved object belongs to. An event with a
// UID matches by UID only: one about an earlier object of the same name (a hook Job
// replaced by before-hook-creation, a recreated Deployment) is not about this one. Until
// the tracker has seen the object's UID its events wait; they are matched on a later look.
func (o owners) of(ref corev1.ObjectReference) (int, bool) {
	if ref.UID != "" {
		i, ok := o.byUID[ref.UID]
		return i, ok
	}
	i, ok := o.byName[nameKey(ref.Kind, ref.Namespace, ref.Name)]
	return i, ok
}

func controlledBy(obj metav1.Object, uid types.UID) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && uid != "" && ref.UID == uid
}
