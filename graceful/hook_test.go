package graceful

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHooks(t *testing.T) {
	t.Parallel()
	const deadline = 50 * time.Millisecond
	tests := []struct {
		name      string
		hooks     func(ran func(string), stuck <-chan struct{}) []Hook
		wantRan   []string
		wantErrs  []string // substrings of Run's error; none means nil
		wantCause error
		minTook   time.Duration
	}{
		{
			name: "run in order",
			hooks: func(ran func(string), _ <-chan struct{}) []Hook {
				return []Hook{
					{Name: "queue", Func: func(context.Context) error { ran("queue"); return nil }},
					{Name: "db", Func: func(context.Context) error { ran("db"); return nil }},
				}
			},
			wantRan: []string{"queue", "db"},
		},
		{
			name: "error reported and the next hook still runs",
			hooks: func(ran func(string), _ <-chan struct{}) []Hook {
				return []Hook{
					{Name: "queue", Func: func(context.Context) error { ran("queue"); return errors.New("flush: broken pipe") }},
					{Name: "db", Func: func(context.Context) error { ran("db"); return nil }},
				}
			},
			wantRan:  []string{"queue", "db"},
			wantErrs: []string{"cleanup queue: flush: broken pipe"},
		},
		{
			name: "hook ignoring ctx is cut off at the deadline, later hooks skipped",
			hooks: func(ran func(string), stuck <-chan struct{}) []Hook {
				return []Hook{
					{Name: "slow", Func: func(context.Context) error { ran("slow"); <-stuck; return nil }},
					{Name: "after", Func: func(context.Context) error { ran("after"); return nil }},
				}
			},
			wantRan:   []string{"slow"},
			wantErrs:  []string{"cleanup slow: cut off at the 50ms deadline", "cleanup after: skipped"},
			wantCause: context.DeadlineExceeded,
			minTook:   deadline,
		},
		{
			name: "hook honouring ctx returns its error at the deadline",
			hooks: func(ran func(string), _ <-chan struct{}) []Hook {
				return []Hook{{Name: "flush", Func: func(ctx context.Context) error {
					ran("flush")
					<-ctx.Done()
					return ctx.Err()
				}}}
			},
			wantRan:   []string{"flush"},
			wantErrs:  []string{"cleanup flush"},
			wantCause: context.DeadlineExceeded,
			minTook:   deadline,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var ran []string
			record := func(name string) {
				mu.Lock()
				defer mu.Unlock()
				ran = append(ran, name)
			}
			stuck := make(chan struct{})
			t.Cleanup(func() { close(stuck) })
			svc := New(Options{DrainDelay: -1, HookTimeout: deadline, Hooks: tt.hooks(record, stuck)})
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			begin := time.Now()
			err := svc.Run(ctx)
			took := time.Since(begin)

			mu.Lock()
			defer mu.Unlock()
			if strings.Join(ran, ",") != strings.Join(tt.wantRan, ",") {
				t.Errorf("hooks ran %v, want %v", ran, tt.wantRan)
			}
			if len(tt.wantErrs) == 0 && err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			for _, want := range tt.wantErrs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Run = %v, want it to contain %q", err, want)
				}
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("Run = %v, want errors.Is %v", err, tt.wantCause)
			}
			if took < tt.minTook || took > testWait {
				t.Errorf("Run took %s, want between %s and %s", took, tt.minTook, testWait)
			}
		})
	}
}
