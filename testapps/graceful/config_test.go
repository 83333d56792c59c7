package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{
			name: "defaults",
			want: config{addr: ":8080", drainDelay: 5 * time.Second, shutdownTimeout: 10 * time.Second, hookTimeout: 2 * time.Second},
		},
		{
			name: "environment, durations and whole seconds",
			env:  map[string]string{"VERSION": "v2", "DRAIN_DELAY": "3", "SHUTDOWN_TIMEOUT": "1500ms", "HOOK_TIMEOUT": "1s", "PRESTOP_DELAY": "5s"},
			want: config{addr: ":8080", version: "v2", drainDelay: 3 * time.Second, shutdownTimeout: 1500 * time.Millisecond, hookTimeout: time.Second, preStop: 5 * time.Second},
		},
		{
			name: "flags win over environment",
			args: []string{"-addr", "127.0.0.1:9000", "-drain-delay", "250ms"},
			env:  map[string]string{"DRAIN_DELAY": "10s"},
			want: config{addr: "127.0.0.1:9000", drainDelay: 250 * time.Millisecond, shutdownTimeout: 10 * time.Second, hookTimeout: 2 * time.Second},
		},
		{
			name: "zero drain means none",
			env:  map[string]string{"DRAIN_DELAY": "0"},
			want: config{addr: ":8080", drainDelay: -1, shutdownTimeout: 10 * time.Second, hookTimeout: 2 * time.Second},
		},
		{name: "bad environment", env: map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, wantErr: `SHUTDOWN_TIMEOUT="soon"`},
		{name: "negative timeout", args: []string{"-shutdown-timeout", "-1s"}, wantErr: "-shutdown-timeout=-1s"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig = %v, want error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}
