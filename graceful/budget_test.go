package graceful

import (
	"strings"
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want time.Duration
	}{
		{"defaults", Options{}, 20 * time.Second},
		{"no drain", Options{DrainDelay: -1, ShutdownTimeout: 3 * time.Second, HookTimeout: time.Second}, 4 * time.Second},
		{"hijack budget longer than shutdown", Options{DrainDelay: time.Second, ShutdownTimeout: 2 * time.Second, HijackTimeout: 7 * time.Second, HookTimeout: time.Second}, 9 * time.Second},
		{"hijack defaults to shutdown", Options{DrainDelay: 2 * time.Second, ShutdownTimeout: 5 * time.Second, HookTimeout: 500 * time.Millisecond}, 7500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.opts.Budget(); got != tt.want {
				t.Errorf("Budget() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckGrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		budget, preStop, grace time.Duration
		wantErr                string
	}{
		{"fits", 20 * time.Second, 5 * time.Second, 30 * time.Second, ""},
		{"exactly fits", 25 * time.Second, 5 * time.Second, 30 * time.Second, ""},
		{"budget alone too long", 40 * time.Second, 0, 30 * time.Second,
			"shutdown budget 40s (preStop 0s + drain/shutdown/hooks 40s) exceeds terminationGracePeriodSeconds 30: raise terminationGracePeriodSeconds to at least 40"},
		{"preStop tips it over", 20500 * time.Millisecond, 10 * time.Second, 30 * time.Second, "to at least 31 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckGrace(tt.budget, tt.preStop, tt.grace)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckGrace = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckGrace = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestGraceFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		want    time.Duration
		wantOK  bool
		wantErr bool
	}{
		{"", 0, false, false},
		{"30", 30 * time.Second, true, false},
		{" 45 ", 45 * time.Second, true, false},
		{"0", 0, true, false},
		{"30s", 0, false, true},
		{"-1", 0, false, true},
		{"abc", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string {
				if k != GracePeriodEnv {
					t.Errorf("getenv(%q), want %q", k, GracePeriodEnv)
				}
				return tt.value
			}
			got, ok, err := GraceFromEnv(getenv)
			if got != tt.want || ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Errorf("GraceFromEnv(%q) = %s, %v, %v; want %s, %v, err %v", tt.value, got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}
