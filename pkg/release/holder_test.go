package release

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestHolderID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		host string
		env  map[string]string
		want string
	}{
		{"plain", "laptop", nil, "laptop/pid 412"},
		{"no host name", "", nil, "unknown-host/pid 412"},
		{"github actions", "runner-7", map[string]string{"GITHUB_RUN_ID": "9001"}, "runner-7/pid 412 (GITHUB_RUN_ID=9001)"},
		{"gitlab", "runner-7", map[string]string{"CI_JOB_ID": "55"}, "runner-7/pid 412 (CI_JOB_ID=55)"},
		{"first variable wins", "h", map[string]string{"BUILD_ID": "b", "GITHUB_RUN_ID": "g"}, "h/pid 412 (GITHUB_RUN_ID=g)"},
		{"empty variable ignored", "h", map[string]string{"GITHUB_RUN_ID": "", "BUILD_ID": "77"}, "h/pid 412 (BUILD_ID=77)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := holderID(tc.host, 412, func(k string) string { return tc.env[k] })
			if got != tc.want {
				t.Fatalf("holderID = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDefaultHolderNamesThisProcess(t *testing.T) {
	t.Parallel()
	got := DefaultHolder()
	if !strings.Contains(got, "/pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("DefaultHolder() = %q, want this process id %d in it", got, os.Getpid())
	}
	if host, err := os.Hostname(); err == nil && host != "" && !strings.HasPrefix(got, host+"/") {
		t.Fatalf("DefaultHolder() = %q, want it to start with the host name %q", got, host)
	}
}
