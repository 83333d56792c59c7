package health

import (
	"testing"
	"time"
)

func TestOptionsWithDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		in             Options
		crash          int32
		ready, unsched time.Duration
	}{
		{"zero takes the defaults", Options{}, 2, 10 * time.Second, 15 * time.Second},
		{"set values are kept", Options{CrashLoopRestarts: 5, ReadyGrace: time.Second, UnschedulableGrace: time.Minute}, 5, time.Second, time.Minute},
		{"negative graces mean none", Options{ReadyGrace: -1, UnschedulableGrace: -time.Second}, 2, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			once := tc.in.WithDefaults()
			twice := once.WithDefaults()
			if once != twice {
				t.Errorf("WithDefaults is not idempotent: %+v then %+v", once, twice)
			}
			if once.CrashLoopRestarts != tc.crash || twice.readyGrace() != tc.ready || twice.unschedulableGrace() != tc.unsched {
				t.Errorf("got restarts %d, ready grace %s, unschedulable grace %s; want %d, %s, %s",
					once.CrashLoopRestarts, twice.readyGrace(), twice.unschedulableGrace(), tc.crash, tc.ready, tc.unsched)
			}
		})
	}
}

func TestStatusEqual(t *testing.T) {
	t.Parallel()
	base := Status{Phase: Failed, Reason: "CrashLoopBackOff", Message: "m", Ready: 1, Desired: 2,
		Culprit: &ContainerRef{Namespace: "ns", Pod: "p", Container: "c"}}
	same := base
	same.Culprit = &ContainerRef{Namespace: "ns", Pod: "p", Container: "c"}
	same.RecheckAt = time.Now()
	otherPod := base
	otherPod.Culprit = &ContainerRef{Namespace: "ns", Pod: "q", Container: "c"}
	noCulprit := base
	noCulprit.Culprit = nil
	moreReady := base
	moreReady.Ready = 2
	for _, tc := range []struct {
		name string
		o    Status
		want bool
	}{
		{"same content, other pointer and recheck time", same, true},
		{"other culprit", otherPod, false},
		{"no culprit", noCulprit, false},
		{"other counts", moreReady, false},
	} {
		if got := base.Equal(tc.o); got != tc.want {
			t.Errorf("%s: Equal = %v, want %v", tc.name, got, tc.want)
		}
	}
}
