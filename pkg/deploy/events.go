package deploy

import (
	"sync"
	"time"

	"github.com/shipsafe/shipsafe/pkg/track"
)

// EventKind says what an Event reports.
type EventKind string

const (
	// Step: the action moved on (validating, applying, tracking, rolling back...).
	Step EventKind = "Step"
	// Applied, Deleted, Pruned: one object changed in the cluster.
	Applied EventKind = "Applied"
	Deleted EventKind = "Deleted"
	Pruned  EventKind = "Pruned"
	// Warning: something the user should know that does not stop the action.
	Warning EventKind = "Warning"
	// Tracking: an event of the live tracker; Track holds it.
	Tracking EventKind = "Tracking"
)

// Event is one item of an action's progress stream.
type Event struct {
	Time    time.Time    `json:"time"`
	Kind    EventKind    `json:"kind"`
	Message string       `json:"message,omitempty"`
	Object  string       `json:"object,omitempty"`
	Track   *track.Event `json:"track,omitempty"`
}

// emitter serialises events to the caller's callback; actions emit from several
// goroutines (parallel applies, the tracker).
type emitter struct {
	mu    sync.Mutex
	fn    func(Event)
	clock func() time.Time
}

func newEmitter(fn func(Event), clock func() time.Time) *emitter {
	return &emitter{fn: fn, clock: clock}
}

func (e *emitter) emit(ev Event) {
	if e.fn == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = e.clock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fn(ev)
}

func (e *emitter) step(msg string) { e.emit(Event{Kind: Step, Message: msg}) }

// warn reports what the user should know, such as a failure the action does not return.
func (e *emitter) warn(msg string) { e.emit(Event{Kind: Warning, Message: msg}) }

func (e *emitter) track(t track.Event) { e.emit(Event{Time: t.Time, Kind: Tracking, Track: &t}) }
