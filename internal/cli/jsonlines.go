package cli

import (
	"strings"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/lint"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// Types of the lines of `-o json` (docs/schema/v1/events.schema.json). Every line is one
// JSON object with a "type"; the last line of a deploy or rollback is always "result".
const (
	lineStep     = "step"     // the action moved on
	lineApplied  = "applied"  // an object was applied
	lineDeleted  = "deleted"  // an object was deleted (rollback of what a failed revision created)
	linePruned   = "pruned"   // an object the release no longer has was deleted
	lineWarning  = "warning"  // something to know that does not stop the action
	lineLint     = "lint"     // a lint finding about the objects being deployed
	lineStatus   = "status"   // a tracked object's health changed
	lineEvent    = "event"    // a Warning event about a tracked object
	lineLog      = "log"      // a line of a failing container's log
	lineTracked  = "tracked"  // tracking ended
	lineProgress = "progress" // periodic: what is still being waited for
	lineResult   = "result"   // the outcome; always the last line
)

// objectRef is an object in every JSON document: always these four fields (namespace
// empty for cluster-scoped objects, group empty for the core group).
type objectRef struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func refOf(k manifest.Key) objectRef {
	return objectRef{Group: k.Group, Kind: k.Kind, Namespace: k.Namespace, Name: k.Name}
}

// parseKey reads a manifest.Key back from its String form ("apps/Deployment ns/web",
// "Service ns/web", "Namespace shop"), as deploy events carry it.
func parseKey(s string) manifest.Key {
	var k manifest.Key
	kind, name, _ := strings.Cut(s, " ")
	if i := strings.LastIndex(kind, "/"); i >= 0 {
		k.Group, kind = kind[:i], kind[i+1:]
	}
	k.Kind = kind
	if ns, n, ok := strings.Cut(name, "/"); ok {
		k.Namespace, name = ns, n
	}
	k.Name = name
	return k
}

// jsonLine is one line of -o json. Type says which fields are set.
type jsonLine struct {
	Type           string     `json:"type"`
	Time           time.Time  `json:"time"`
	ElapsedSeconds float64    `json:"elapsedSeconds"`
	Message        string     `json:"message,omitempty"`
	Object         *objectRef `json:"object,omitempty"`
	// status
	Phase   string `json:"phase,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Ready   *int32 `json:"ready,omitempty"`
	Desired *int32 `json:"desired,omitempty"`
	// event, log
	Source   string `json:"source,omitempty"`
	Previous bool   `json:"previous,omitempty"`
	// lint
	Rule      string `json:"rule,omitempty"`
	Severity  string `json:"severity,omitempty"`
	Container string `json:"container,omitempty"`
	Fix       string `json:"fix,omitempty"`
	// progress
	Waiting []waitingObject `json:"waiting,omitempty"`
}

// waitingObject is an object a progress line is still waiting for.
type waitingObject struct {
	Object  objectRef `json:"object"`
	Phase   string    `json:"phase"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// lineOf converts a deploy event into its JSON line; ok is false for events that have
// none.
func lineOf(e deploy.Event, start time.Time) (jsonLine, bool) {
	l := jsonLine{Time: e.Time.UTC(), ElapsedSeconds: seconds(e.Time.Sub(start))}
	switch e.Kind {
	case deploy.Step:
		l.Type, l.Message = lineStep, e.Message
	case deploy.Warning:
		l.Type, l.Message = lineWarning, e.Message
	case deploy.Applied, deploy.Deleted, deploy.Pruned:
		l.Type = map[deploy.EventKind]string{deploy.Applied: lineApplied, deploy.Deleted: lineDeleted, deploy.Pruned: linePruned}[e.Kind]
		ref := refOf(parseKey(e.Object))
		l.Object = &ref
	case deploy.Tracking:
		return trackLine(l, e.Track), true
	default:
		return l, false
	}
	return l, true
}

func trackLine(l jsonLine, t *track.Event) jsonLine {
	ref := refOf(t.Object)
	l.Object = &ref
	switch t.Type {
	case track.StatusChanged:
		l.Type, l.Phase, l.Reason, l.Message = lineStatus, string(t.Status.Phase), t.Status.Reason, oneLine(t.Status.Message)
		l.Ready, l.Desired = &t.Status.Ready, &t.Status.Desired
	case track.ClusterEvent:
		l.Type, l.Source, l.Reason, l.Message = lineEvent, t.Source, t.Reason, oneLine(t.Message)
	case track.LogLine:
		l.Type, l.Source, l.Message, l.Previous = lineLog, t.Source, t.Message, t.Previous
	default: // Done
		l.Type, l.Object, l.Message = lineTracked, nil, oneLine(t.Message)
	}
	return l
}

// lintLine is a lint finding as a JSON line.
func lintLine(f lint.Finding, now, start time.Time) jsonLine {
	ref := refOf(f.Object)
	return jsonLine{
		Type: lineLint, Time: now.UTC(), ElapsedSeconds: seconds(now.Sub(start)), Object: &ref,
		Rule: f.Rule, Severity: string(f.Severity), Container: f.Container, Message: f.Message, Fix: f.Fix,
	}
}

// seconds is d in seconds with millisecond precision, as every duration in JSON output.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond).Milliseconds()) / 1000
}

// keyOf is the manifest.Key of r.
func keyOf(r objectRef) manifest.Key {
	return manifest.Key{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}
