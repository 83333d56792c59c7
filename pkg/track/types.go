package track

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// ObjectRef names a tracked object. It is manifest.Key: group, kind, namespace (empty
// for cluster-scoped objects) and name, printed as "apps/Deployment prod/web".
type ObjectRef = manifest.Key

// RefOf returns the reference of obj.
func RefOf(obj *unstructured.Unstructured) ObjectRef { return manifest.KeyOf(obj) }

// RunOptions tunes one Tracker.Run.
type RunOptions struct {
	// Unchanged names objects of the run that the caller did not change (a deploy that
	// skipped them: as the last deployed revision left them). Each is judged once, from
	// one LIST per resource and namespace with the related kinds its health reads listed
	// once per namespace; one Ready then is Ready for the run and never watched. One not
	// Ready then (progressing or failing now), or not found, is watched like any other,
	// so it gets the same verdict, evidence and wait. Objects of other runs' kinds are
	// matched by RefOf.
	Unchanged map[ObjectRef]bool
}

// EventType says what an Event reports.
type EventType string

const (
	// StatusChanged: a tracked object's health changed; Event.Status holds the new one.
	StatusChanged EventType = "StatusChanged"
	// ClusterEvent: a Warning event about a tracked object or one of its pods or
	// ReplicaSets; Source names the object it is about, Reason and Message are its own.
	ClusterEvent EventType = "ClusterEvent"
	// LogLine: one line of the failing container's log; Source names "pod/container",
	// Previous says it is from the container's previous instance.
	LogLine EventType = "LogLine"
	// Done: tracking ended; Message sums up how (all ready, failed, or interrupted).
	Done EventType = "Done"
)

// Event is one item of a Tracker's output stream.
type Event struct {
	// Time is when the tracker saw it; Elapsed is Time since tracking started.
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed"`
	Type    EventType     `json:"type"`
	// Object is the tracked object the event concerns (zero for Done).
	Object ObjectRef `json:"object"`
	// Status is the object's new health (StatusChanged), or the failed object's (Done
	// after a failure).
	Status health.Status `json:"status"`
	// Source is what a ClusterEvent is about ("Pod web-7d9f-x2x"), or the container a
	// LogLine comes from ("web-7d9f-x2x/app").
	Source string `json:"source,omitempty"`
	// Reason is a ClusterEvent's reason (BackOff, Failed, FailedScheduling...).
	Reason string `json:"reason,omitempty"`
	// Message is a ClusterEvent's message, a LogLine's text or Done's summary.
	Message string `json:"message,omitempty"`
	// Previous marks a LogLine from the container's previous (crashed) instance.
	Previous bool `json:"previous,omitempty"`
	// Unchanged marks a StatusChanged of an object the caller did not change
	// (RunOptions.Unchanged).
	Unchanged bool `json:"unchanged,omitempty"`
}

// ObjectResult is the outcome for one tracked object.
type ObjectResult struct {
	Ref    ObjectRef     `json:"ref"`
	Status health.Status `json:"status"`
	// ReadyAfter is how long after tracking started the object last became Ready; zero
	// when it is not Ready.
	ReadyAfter time.Duration `json:"readyAfter"`
	// Unchanged: the caller did not change the object (RunOptions.Unchanged).
	Unchanged bool `json:"unchanged,omitempty"`
}

// Result is the outcome of Tracker.Run.
type Result struct {
	// Objects holds one entry per tracked object, in the order given to Run.
	Objects []ObjectResult `json:"objects"`
	// Failed says an object failed; Object, Reason and Message say which and why.
	Failed  bool      `json:"failed"`
	Object  ObjectRef `json:"object"`
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	// Evidence holds, on failure, the failed object's Warning events and the last lines
	// of the failing container's current and previous logs; when Run was interrupted, the
	// Warning events of the objects that were not ready.
	Evidence []string `json:"evidence,omitempty"`
	// Duration is how long tracking took.
	Duration time.Duration `json:"duration"`
}

// NotReady returns the objects that were not Ready when tracking ended.
func (r Result) NotReady() []ObjectResult {
	var out []ObjectResult
	for _, o := range r.Objects {
		if o.Status.Phase != health.Ready {
			out = append(out, o)
		}
	}
	return out
}

// ForbiddenError means the API server refused a list or watch that tracking needs: the
// caller lacks the permission, and waiting would not help.
type ForbiddenError struct {
	// Watch names what was watched: "events in NS", or a tracked object.
	Watch string
	Err   error
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("track: cannot list and watch %s: %v; grant the verbs list and watch on it (`shipsafe rbac` prints the Role a release needs)", e.Watch, e.Err)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }
