package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestBuildVersionFallsBackToBuildInfo covers `go install ...@vX` (module version and
// VCS stamps from the build info) and a plain build with nothing (dev).
func TestBuildVersionFallsBackToBuildInfo(t *testing.T) {
	t.Parallel()
	installed := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			Main: debug.Module{Path: "github.com/shipsafe/shipsafe", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123abcd"},
				{Key: "vcs.time", Value: "2026-11-20T10:00:00Z"},
			},
		}, true
	}
	v := buildVersion(installed)
	if v.Version != "v1.4.0" || v.Commit != "0123abcd" || v.Date != "2026-11-20T10:00:00Z" {
		t.Errorf("from build info: %+v", v)
	}
	if s := v.String(); !strings.HasPrefix(s, "shipsafe v1.4.0 (commit 0123abcd, 2026-11-20T10:00:00Z) go") {
		t.Errorf("String() = %q", s)
	}
	devel := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "beef"}, {Key: "vcs.modified", Value: "true"},
		}}, true
	}
	if v := buildVersion(devel); v.Version != "dev" || v.Commit != "beef-dirty" {
		t.Errorf("devel build: %+v", v)
	}
	if v := buildVersion(func() (*debug.BuildInfo, bool) { return nil, false }); v.Version != "dev" || v.Commit != "" {
		t.Errorf("no build info: %+v", v)
	}
}
