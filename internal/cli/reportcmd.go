package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) reportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "report FILE",
		Short: "Render a --report file as Markdown (a CI job summary) or as GitHub annotations",
		Long: `Report reads the JSON report a deploy, rollback or import-helm wrote with --report
FILE and renders it: --format markdown for a job summary (GitHub's $GITHUB_STEP_SUMMARY,
a merge request comment), --format github for workflow commands (::error:: on failure,
::warning:: for lint errors and warnings), --format text for a short outcome line.
The report's schema is docs/schema/v1/report.schema.json.`,
		Example: `  shipsafe -n shop deploy web -f k8s/ --report report.json; code=$?
  shipsafe report report.json --format markdown >>"$GITHUB_STEP_SUMMARY"
  shipsafe report report.json --format github`,
		Args: exactArgs(1, "one report file"),
		RunE: func(_ *cobra.Command, args []string) error {
			rep, err := readReport(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "markdown":
				writeMarkdown(a.stdout, rep)
			case "github":
				writeAnnotations(a.stdout, rep)
			case "text":
				fmt.Fprintln(a.stdout, outcome(rep))
			default:
				return &usageError{fmt.Errorf("--format %q: want markdown, github or text", format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "markdown", "markdown, github or text")
	return cmd
}

// readReport reads and checks a report file.
func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &usageError{fmt.Errorf("read report: %w", err)}
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, &usageError{fmt.Errorf("report %s: not a shipsafe report: %w", path, err)}
	}
	if rep.SchemaVersion != ReportSchema {
		return nil, &usageError{fmt.Errorf("report %s: schemaVersion %q, this shipsafe reads %q", path, rep.SchemaVersion, ReportSchema)}
	}
	return &rep, nil
}

// outcome is one line saying what the run did.
func outcome(r *report) string {
	s := fmt.Sprintf("shipsafe %s %q", r.Command, r.Release)
	if r.Revision > 0 {
		s += fmt.Sprintf(" revision %d", r.Revision)
	}
	switch r.Status {
	case "deployed":
		s += " deployed"
	case "rolled-back":
		if r.RolledBackTo > 0 {
			s += fmt.Sprintf(" failed and was rolled back to revision %d", r.RolledBackTo)
		} else {
			s += " failed; nothing of it was left in the cluster"
		}
	case "invalid":
		s += " refused (bad input); nothing changed"
	case "locked":
		s += " not run: another deploy holds the release"
	default:
		s += " failed and was NOT restored: a person must act"
	}
	return s + fmt.Sprintf(" in %.1fs (exit %d)", r.DurationSeconds, r.ExitCode)
}

func writeMarkdown(w io.Writer, r *report) {
	icon := map[string]string{"deployed": "✅", "rolled-back": "↩️", "invalid": "⛔", "locked": "🔒"}[r.Status]
	if icon == "" {
		icon = "❌"
	}
	fmt.Fprintf(w, "### %s %s\n\n", icon, mdEscape(outcome(r)))
	if r.Failure != nil {
		fmt.Fprintf(w, "**Reason:** %s\n\n", mdEscape(oneLine(r.Failure.Reason)))
	}
	if len(r.Objects) > 0 {
		fmt.Fprintf(w, "| object | verdict | ready | time | detail |\n|---|---|---|---|---|\n")
		for _, o := range r.Objects {
			ready, at := "", ""
			if o.Desired > 0 {
				ready = fmt.Sprintf("%d/%d", o.Ready, o.Desired)
			}
			if o.ReadySeconds != nil {
				at = fmt.Sprintf("%.1fs", *o.ReadySeconds)
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", keyOf(o.Object), o.Verdict, ready, at, mdEscape(strings.TrimSpace(o.Reason+" "+o.Message)))
		}
		fmt.Fprintln(w)
	}
	if r.Failure != nil && len(r.Failure.Evidence) > 0 {
		fmt.Fprintf(w, "<details><summary>Evidence (%d)</summary>\n\n```\n%s\n```\n</details>\n\n", len(r.Failure.Evidence), strings.ReplaceAll(strings.Join(r.Failure.Evidence, "\n"), "```", "'''"))
	}
	if len(r.Lint) > 0 {
		fmt.Fprintf(w, "<details><summary>Lint findings (%d)</summary>\n\n", len(r.Lint))
		for _, f := range r.Lint {
			fmt.Fprintf(w, "- **%s** %s `%s`: %s (fix: %s)\n", f.Rule, f.Severity, keyOf(f.Object), mdEscape(f.Message), mdEscape(f.Fix))
		}
		fmt.Fprintf(w, "\n</details>\n\n")
	}
	fmt.Fprintf(w, "<sub>%d API requests · namespace `%s` · report schema %s</sub>\n", r.APIRequests, r.Namespace, r.SchemaVersion)
}

// mdEscape keeps text inside one Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// writeAnnotations prints GitHub workflow commands: an error for a failed run, a
// warning per lint error or warning.
func writeAnnotations(w io.Writer, r *report) {
	if r.Status != "deployed" {
		msg := outcome(r)
		if r.Failure != nil {
			msg += ": " + r.Failure.Reason
			if n := len(r.Failure.Evidence); n > 0 {
				msg += "\n" + strings.Join(r.Failure.Evidence[max(0, n-5):], "\n")
			}
		}
		fmt.Fprintf(w, "::error title=%s::%s\n", ghProperty("shipsafe "+r.Command+" "+r.Release+": "+r.Status), ghData(msg))
	}
	for _, f := range r.Lint {
		if f.Severity == "info" {
			continue
		}
		fmt.Fprintf(w, "::warning title=%s::%s\n", ghProperty("shipsafe lint "+f.Rule+" "+keyOf(f.Object).String()), ghData(f.Message+" Fix: "+f.Fix))
	}
}

// ghData escapes a workflow command's message, ghProperty one of its properties.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
