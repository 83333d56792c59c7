package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestCancellation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sigs       []os.Signal
		wantCancel bool
		wantStop   bool
		wantNote   string
	}{
		{name: "none", sigs: nil},
		{name: "SIGINT cancels", sigs: []os.Signal{os.Interrupt}, wantCancel: true},
		{name: "SIGTERM cancels", sigs: []os.Signal{syscall.SIGTERM}, wantCancel: true},
		{name: "SIGTERM after SIGINT is the same cancellation", sigs: []os.Signal{os.Interrupt, syscall.SIGTERM},
			wantCancel: true, wantNote: "terminated after interrupt: the same cancellation"},
		{name: "SIGINT after SIGTERM is the same cancellation", sigs: []os.Signal{syscall.SIGTERM, os.Interrupt},
			wantCancel: true, wantNote: "interrupt after terminated: the same cancellation"},
		{name: "SIGINT twice gives up", sigs: []os.Signal{os.Interrupt, os.Interrupt},
			wantCancel: true, wantStop: true, wantNote: "interrupt again: giving up"},
		{name: "SIGTERM twice gives up", sigs: []os.Signal{syscall.SIGTERM, syscall.SIGTERM},
			wantCancel: true, wantStop: true},
		{name: "GitHub's escalation, then SIGINT again, gives up", sigs: []os.Signal{os.Interrupt, syscall.SIGTERM, os.Interrupt, os.Interrupt},
			wantCancel: true, wantStop: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sigs := make(chan os.Signal, len(tt.sigs))
			for _, s := range tt.sigs {
				sigs <- s
			}
			close(sigs)
			cancelled := false
			stop := make(chan struct{})
			var note strings.Builder
			cancellation(sigs, func() { cancelled = true }, stop, &note)
			stopped := false
			select {
			case <-stop:
				stopped = true
			default:
			}
			if cancelled != tt.wantCancel || stopped != tt.wantStop {
				t.Errorf("cancelled %v, stopped %v; want %v, %v", cancelled, stopped, tt.wantCancel, tt.wantStop)
			}
			if !strings.Contains(note.String(), tt.wantNote) {
				t.Errorf("note %q, want it to contain %q", note.String(), tt.wantNote)
			}
		})
	}
}
