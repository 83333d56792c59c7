package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// TestPrinterSumsUpUnchangedReadyObjects: in text, an unchanged object that is Ready when
// first judged has no line of its own and is counted in the summary; an unchanged object
// that was not Ready at first, and every changed object, are printed as before.
func TestPrinterSumsUpUnchangedReadyObjects(t *testing.T) {
	t.Parallel()
	ref := func(name string) track.ObjectRef {
		return manifest.Key{Kind: "ConfigMap", Namespace: "prod", Name: name}
	}
	start := time.Unix(0, 0)
	status := func(name string, phase health.Phase, unchanged bool) deploy.Event {
		return deploy.Event{Time: start, Kind: deploy.Tracking, Track: &track.Event{Time: start, Type: track.StatusChanged,
			Object: ref(name), Status: health.Status{Phase: phase}, Unchanged: unchanged}}
	}
	var out bytes.Buffer
	p := newEventPrinter(&out, false, start)
	for _, e := range []deploy.Event{
		status("quiet-1", health.Ready, true),
		status("quiet-2", health.Ready, true),
		status("slow", health.Progressing, true),
		status("slow", health.Ready, true),
		status("changed", health.Ready, false),
	} {
		p.print(e)
	}
	res := track.Result{}
	for _, o := range []struct {
		name      string
		unchanged bool
	}{{"quiet-1", true}, {"quiet-2", true}, {"slow", true}, {"changed", false}} {
		res.Objects = append(res.Objects, track.ObjectResult{Ref: ref(o.name), Status: health.Status{Phase: health.Ready}, Unchanged: o.unchanged})
	}
	p.summary(res)
	got := out.String()
	if strings.Contains(got, "quiet-") {
		t.Errorf("unchanged objects Ready at first sight are printed one by one:\n%s", got)
	}
	for _, want := range []string{"Progressing ConfigMap prod/slow", "Ready       ConfigMap prod/slow", "Ready       ConfigMap prod/changed",
		"ready    ConfigMap prod/slow", "ready    ConfigMap prod/changed", "ready    2 unchanged objects, not applied again"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
