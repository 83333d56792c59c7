package track

import (
	"cmp"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// eventSkew lets Warning events recorded slightly before tracking started count (the
// deploy applied its objects just before; event timestamps have one-second precision).
const eventSkew = 10 * time.Second

// emitWarnings emits, once each and oldest first, the Warning events about tracked
// objects and what they own that were recorded since tracking started.
func (r *run) emitWarnings(now time.Time) {
	type found struct {
		ev    *corev1.Event
		owner int
	}
	var fresh []found
	for _, w := range r.watches {
		events, _ := w.events.List(labels.Everything())
		for _, ev := range events {
			if i, ok := r.owners.of(ev.InvolvedObject); ok && r.wanted(ev) {
				fresh = append(fresh, found{ev, i})
			}
		}
	}
	sort.SliceStable(fresh, func(a, b int) bool { return eventTime(fresh[a].ev).Before(eventTime(fresh[b].ev)) })
	for _, f := range fresh {
		r.report(now, f.ev, f.owner)
	}
}

// wanted reports a Warning event recent enough and not yet emitted.
func (r *run) wanted(ev *corev1.Event) bool {
	return ev.Type == corev1.EventTypeWarning && !r.seen[eventKey(ev)] && !eventTime(ev).Before(r.start.Add(-eventSkew))
}

// report emits ev about target i and keeps it as evidence, unless already reported.
func (r *run) report(now time.Time, ev *corev1.Event, i int) {
	key := eventKey(ev)
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	tg := r.targets[i]
	source := ev.InvolvedObject.Kind + " " + ev.InvolvedObject.Name
	tg.warnings = append(tg.warnings, fmt.Sprintf("Warning %s %s: %s", ev.Reason, source, ev.Message))
	r.emitAt(now, Event{Type: ClusterEvent, Object: tg.ref, Source: source, Reason: ev.Reason, Message: ev.Message})
}

// eventKey dedupes events: the same reason and message about the same object is one
// event however often it repeats.
func eventKey(ev *corev1.Event) string {
	o := ev.InvolvedObject
	return string(o.UID) + "\x00" + o.Kind + "\x00" + o.Name + "\x00" + ev.Reason + "\x00" + ev.Message
}

// eventTime is when an event was last observed, from whichever field its recorder set.
func eventTime(ev *corev1.Event) time.Time {
	t := ev.CreationTimestamp.Time
	for _, c := range []time.Time{ev.FirstTimestamp.Time, ev.LastTimestamp.Time, ev.EventTime.Time} {
		if c.After(t) {
			t = c
		}
	}
	if ev.Series != nil && ev.Series.LastObservedTime.After(t) {
		t = ev.Series.LastObservedTime.Time
	}
	return t
}

// Event reasons with which node autoscalers say they are adding a node for a pod.
const (
	reasonTriggeredScaleUp = "TriggeredScaleUp" // cluster-autoscaler
	reasonNominated        = "Nominated"        // Karpenter
)

// nodeScaleUps returns, by pod UID, the message of the newest event in which a node
// autoscaler said it is adding a node for the pod.
func nodeScaleUps(events []*corev1.Event) map[types.UID]string {
	out := map[types.UID]string{}
	newest := map[types.UID]time.Time{}
	for _, ev := range events {
		o := ev.InvolvedObject
		if o.Kind != "Pod" || o.UID == "" || (ev.Reason != reasonTriggeredScaleUp && ev.Reason != reasonNominated) {
			continue
		}
		if t := eventTime(ev); out[o.UID] == "" || t.After(newest[o.UID]) {
			out[o.UID], newest[o.UID] = cmp.Or(ev.Message, ev.Reason), t
		}
	}
	return out
}
