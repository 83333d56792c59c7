package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// splitVerification takes the Verification object out of objs: it is read, never
// applied. More than one, or one that does not parse, is bad input.
func splitVerification(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, *unstructured.Unstructured, error) {
	var (
		rest  []*unstructured.Unstructured
		found []*unstructured.Unstructured
	)
	for _, o := range objs {
		if verify.IsSpec(o) {
			found = append(found, o)
			continue
		}
		rest = append(rest, o)
	}
	switch len(found) {
	case 0:
		return objs, nil, nil
	case 1:
		if _, err := verify.Parse(found[0]); err != nil {
			return nil, nil, err
		}
		return rest, found[0], nil
	}
	return nil, nil, fmt.Errorf("%d %s objects (%s and %s): a release has at most one; put all checks in one",
		len(found), verify.Kind, manifest.KeyOf(found[0]), manifest.KeyOf(found[1]))
}

// testsAsChecks moves the chart's test hooks out of its hooks into its Verification, as
// job checks (see verify.WithJobChecks); a hook with other events keeps those.
func (l *loaded) testsAsChecks(rel string) error {
	var tests []*unstructured.Unstructured
	var hooks []helm.Hook
	for _, h := range l.hooks {
		if !slices.Contains(h.Events, helm.Test) {
			hooks = append(hooks, h)
			continue
		}
		tests = append(tests, h.Object)
		h.Events = slices.DeleteFunc(slices.Clone(h.Events), func(e string) bool { return e == helm.Test })
		if len(h.Events) > 0 {
			hooks = append(hooks, h)
		}
	}
	spec, err := verify.WithJobChecks(l.verification, rel, tests)
	if err != nil {
		return &deploy.InputError{Err: err}
	}
	l.hooks, l.verification = hooks, spec
	return nil
}

// verifyFlags say where verification checks find Prometheus, and (deploy only) whether
// a chart's test hooks run as checks.
type verifyFlags struct {
	prometheusURL     string
	prometheusService string
	chartTests        bool
}

func (f *verifyFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.prometheusURL, "prometheus-url", "",
		"Prometheus for the release's prometheus checks (overrides the Verification's spec.prometheus.url)")
	cmd.Flags().StringVar(&f.prometheusService, "prometheus-service", "",
		"[NAMESPACE/]NAME[:PORT]: a Service serving Prometheus, queried through the API server's proxy (overrides spec.prometheus.service; --prometheus-url wins over both)")
}

// validate checks the flag and that a spec's prometheus checks have a Prometheus.
func (f *verifyFlags) validate(spec *unstructured.Unstructured) error {
	if f.prometheusURL != "" {
		u, err := url.Parse(f.prometheusURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &usageError{fmt.Errorf("--prometheus-url %q: want http(s)://HOST[:PORT][/PATH]", f.prometheusURL)}
		}
	}
	if f.prometheusService != "" {
		if _, err := verify.ParseServiceRef(f.prometheusService); err != nil {
			return &usageError{fmt.Errorf("--prometheus-service %w", err)}
		}
	}
	if spec == nil || f.prometheusURL != "" || f.prometheusService != "" {
		return nil
	}
	s, err := verify.Parse(spec)
	if err != nil {
		return &deploy.InputError{Err: err}
	}
	if verify.NeedsPrometheus(s) {
		return &usageError{fmt.Errorf("%s %q has prometheus checks but names no Prometheus: pass --prometheus-url or --prometheus-service, or set spec.prometheus.url or spec.prometheus.service", verify.Kind, s.Name)}
	}
	return nil
}

// runner returns the verifier for env's cluster.
func (f *verifyFlags) runner(env *actionEnv) *verify.Runner {
	r := &verify.Runner{Typed: env.clients.Typed, Config: env.clients.Config, PrometheusURL: f.prometheusURL, Clock: env.cfg.Clock.Now}
	if f.prometheusService != "" {
		ref, _ := verify.ParseServiceRef(f.prometheusService) // checked by validate
		r.PrometheusService = &ref
	}
	return r
}

func (a *app) verifyCommand() *cobra.Command {
	var (
		vf     verifyFlags
		output string
	)
	cmd := &cobra.Command{
		Use:     "verify RELEASE",
		Example: verifyExamples,
		Short:   "Run the deployed revision's verification checks now (exit 0 passed, 1 failed)",
		Long: `Verify runs the checks of the release's deployed revision (its Verification object)
for their window, as the deploy did, and judges them; it changes nothing. For a
scheduled pipeline step: exit 0 when every check passed, 1 when one failed (evidence
printed), 2 when the release or its checks are missing. A relative threshold's baseline
is the window before the deployed revision began.`,
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.readConfig(output)
			if err != nil {
				return err
			}
			ns := env.ns
			revs, err := deploy.History(cmd.Context(), env.cfg, args[0], ns)
			if err != nil {
				return err
			}
			rev := release.LastDeployed(revs)
			switch {
			case rev == nil:
				return &deploy.InputError{Err: fmt.Errorf("release %q has no deployed revision in namespace %q; see `shipsafe history %s`", args[0], ns, args[0])}
			case rev.Verification == nil:
				return &deploy.InputError{Err: fmt.Errorf("release %q revision %d has no verification checks: add a %s object to its sources and deploy", args[0], rev.Number, verify.Kind)}
			}
			if err := vf.validate(rev.Verification); err != nil {
				return err
			}
			spec, err := verify.Parse(rev.Verification)
			if err != nil {
				return &deploy.InputError{Err: err}
			}
			p := newEventPrinter(a.stdout, output == "json", env.cfg.Clock.Now())
			if output != "json" {
				fmt.Fprintf(a.stdout, "verifying %q revision %d: %d checks for %s, every %s\n", rev.Release, rev.Number, len(spec.Checks), spec.For, spec.Interval)
			}
			verdict, err := vf.runner(env).Run(cmd.Context(), verify.Request{
				Spec: spec, Release: rev.Release, Namespace: ns, Revision: rev.Number, Since: rev.StartedAt,
				OnSample: func(s verify.Sample) {
					if s.Outcome != verify.Pass {
						p.print(deploy.Event{Kind: deploy.Warning, Time: s.Time, Message: "verify: " + s.String()})
					}
				},
			})
			if err != nil {
				return &deploy.InputError{Err: err}
			}
			return printVerdict(a.stdout, output == "json", verdict)
		},
	}
	vf.bind(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json (the verdict)")
	return cmd
}

// printVerdict renders a verdict and returns exit 1 (a codeError) when it failed.
func printVerdict(w io.Writer, asJSON bool, v *verify.Verdict) error {
	if asJSON {
		if err := json.NewEncoder(w).Encode(v); err != nil {
			return err
		}
	} else if v.Passed {
		for _, l := range v.Summary() {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "verification passed")
	} else {
		for _, l := range v.Evidence() {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintf(w, "FAILED: %s\n", v.Reason())
	}
	if !v.Passed {
		return &codeError{code: ExitRolledBack, err: errors.New("verification failed: " + v.Reason())}
	}
	return nil
}
