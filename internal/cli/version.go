package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Build stamps, set by `make dist` with -ldflags -X. Empty in a plain `go build` or
// `go install`, where the module's build info stands in for them.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// versionInfo is what `shipsafe version` reports.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// buildVersion returns the stamped version, commit and date; each one not stamped comes
// from the binary's build info (module version for `go install ...@vX`, vcs.revision
// and vcs.time for a build from a checkout), else "dev" for the version.
func buildVersion(read func() (*debug.BuildInfo, bool)) versionInfo {
	v := versionInfo{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && Commit == "" && v.Commit != "" {
			v.Commit += "-dirty"
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

func (v versionInfo) String() string {
	s := "shipsafe " + v.Version
	if v.Commit != "" {
		s += " (commit " + v.Commit
		if v.Date != "" {
			s += ", " + v.Date
		}
		s += ")"
	}
	return s + " " + v.GoVersion + " " + v.Platform
}

func (a *app) versionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the shipsafe version, commit and build date",
		Example: `  shipsafe version
  shipsafe version -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			v := buildVersion(debug.ReadBuildInfo)
			if output == "json" {
				return json.NewEncoder(a.stdout).Encode(v)
			}
			fmt.Fprintln(a.stdout, v)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}
