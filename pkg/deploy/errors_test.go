package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

func TestFailedErrorSaysWhatToDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *FailedError
		want string
	}{
		{"signal before any change", &FailedError{Release: "web", Reason: "interrupted", Restored: true},
			`release "web": interrupted; nothing was changed`},
		{"rolled back", &FailedError{Release: "web", Revision: 3, Reason: "boom", Restored: true, RolledBackTo: 2},
			`release "web" revision 3 failed and was rolled back to revision 2: boom`},
		{"first install removed", &FailedError{Release: "web", Revision: 1, Reason: "boom", Restored: true},
			`release "web" revision 1 failed; the objects it created were removed: boom`},
		{"restore failed", &FailedError{Release: "web", Revision: 3, Reason: "boom", Cause: errors.New("apiserver down")},
			"was NOT restored: boom; restore failed: apiserver down; inspect with `shipsafe status web`"},
		{"left as it is", &FailedError{Release: "web", Revision: 3, Reason: "boom"},
			"left as it is (--rollback=never): boom; deploy a fixed version or run `shipsafe rollback web`"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q lacks %q", tt.name, got, tt.want)
		}
	}
}

func TestInterruptionTellsTimeoutFromSignalAndLostLock(t *testing.T) {
	t.Parallel()
	timedOut, cancel := withTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-timedOut.Done()
	signalled, cancelSignal := context.WithCancel(context.Background())
	cancelSignal()
	// A timeout inside a cancelled context is reported as the cancellation that came first.
	signalledFirst, cancel2 := withTimeout(signalled, time.Hour)
	defer cancel2()
	lost, cancelLost := context.WithCancelCause(context.Background())
	lostErr := &release.LostError{Release: "web", Namespace: "ns", Holder: "h", Reason: "another holder took the lease over"}
	cancelLost(lostErr)
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"running", context.Background(), "apply: boom"},
		{"timeout", timedOut, "timed out after 1ns: apply: boom"},
		{"signal", signalledFirst, "interrupted (signal or cancelled) while apply: boom"},
		{"lost lock", lost, "interrupted (" + lostErr.Error() + ") while apply: boom"},
	}
	for _, tt := range tests {
		if got := interruption(tt.ctx, "apply: boom"); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStoppedBeforeChange(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bad := &InputError{Err: errors.New("bad")}
	if err := stoppedBeforeChange(context.Background(), "web", bad); err != bad {
		t.Errorf("without a signal the error is kept: %v", err)
	}
	var ferr *FailedError
	if err := stoppedBeforeChange(cancelled, "web", bad); !errors.As(err, &ferr) || !ferr.Restored || ferr.Revision != 0 {
		t.Errorf("after a signal: %v, want a restored FailedError of revision 0", err)
	}
	held := &release.HeldError{Release: "web", Holder: "other"}
	if err := stoppedBeforeChange(cancelled, "web", held); !IsLocked(err) {
		t.Errorf("a held lock stays a held lock: %v", err)
	}
}

func TestNotReady(t *testing.T) {
	t.Parallel()
	ref := func(name string) manifest.Key { return manifest.Key{Kind: "ConfigMap", Namespace: "prod", Name: name} }
	res := track.Result{Objects: []track.ObjectResult{
		{Ref: ref("ready"), Status: health.Status{Phase: health.Ready}},
		{Ref: ref("a"), Status: health.Status{Phase: health.Progressing, Message: "1/3 ready"}},
		{Ref: ref("b")},
		{Ref: ref("c"), Status: health.Status{Phase: health.Progressing}},
		{Ref: ref("d"), Status: health.Status{Phase: health.Progressing}},
	}}
	got := notReady(res, context.DeadlineExceeded)
	for _, want := range []string{"ConfigMap prod/a (Progressing 1/3 ready)", "ConfigMap prod/b (not observed yet)", " and 1 more"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "prod/ready") {
		t.Errorf("%q names a ready object", got)
	}
	if got := notReady(track.Result{}, errors.New("watch closed")); got != "waiting: watch closed" {
		t.Errorf("nothing tracked: %q", got)
	}
}

func TestRollbackTarget(t *testing.T) {
	t.Parallel()
	objs := v1Objects()
	revs := []*release.Revision{
		{Release: "web", Number: 1, Status: release.StatusSuperseded, Objects: objs},
		{Release: "web", Number: 2, Status: release.StatusSuperseded, Objects: objs},
		{Release: "web", Number: 3, Status: release.StatusRolledBack, Objects: objs},
		{Release: "web", Number: 4, Status: release.StatusDeployed, Objects: objs},
		{Release: "web", Number: 5, Status: release.StatusUninstalled},
	}
	tests := []struct {
		name string
		revs []*release.Revision
		to   int
		want int    // 0: an error
		err  string // part of the error
	}{
		{"the last superseded before the deployed one", revs, 0, 2, ""},
		{"a named revision, whatever its status", revs, 3, 3, ""},
		{"a revision without objects", revs, 5, 0, "has no objects"},
		{"an unknown revision", revs, 9, 0, "revision 9 of \"web\" not found"},
		{"nothing earlier", revs[3:4], 0, 0, "no earlier deployed revision"},
	}
	for _, tt := range tests {
		got, err := rollbackTarget(tt.revs, tt.to)
		switch {
		case tt.want > 0 && (err != nil || got.Number != tt.want):
			t.Errorf("%s: %v, %v; want revision %d", tt.name, got, err, tt.want)
		case tt.want == 0 && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.err)
		}
	}
}

func v1Objects() []*unstructured.Unstructured {
	return []*unstructured.Unstructured{hookObj("ConfigMap", "a")}
}
