package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// app holds what every command shares: flags, streams and the stop channel.
type app struct {
	flags  *genericclioptions.ConfigFlags
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stop closes when the first signal comes again: the rollback stops at once, records
	// are still written.
	stop <-chan struct{}
	env  func(string) string
}

// Run runs shipsafe with args and returns the exit code. ctx is cancelled on the first
// SIGINT/SIGTERM; stop is closed when that signal comes again (a signal of the other
// kind after it is the same cancellation).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, stop <-chan struct{}) int {
	a := &app{
		flags:  genericclioptions.NewConfigFlags(true),
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		stop:   stop,
		env:    os.Getenv,
	}
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var coded *codeError
	if !errors.As(err, &coded) || coded.err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
	}
	return exitCode(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:     "shipsafe",
		Example: rootExamples,
		Short:   "Deploy to Kubernetes safely: whole and healthy, or rolled back",
		Long: `shipsafe deploys a release from plain YAML, tracks every object live until it is
ready, fails fast with events and logs, and rolls back to the last good revision on any
failure, timeout or signal. Release records and locks live in the cluster.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Args and RunE make an unknown command a usage error (exit 2); bare
		// `shipsafe` prints help.
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	a.flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(a.flags.Context, "kube-context", "", "Helm's spelling of --context")
	_ = root.PersistentFlags().MarkHidden("kube-context")
	root.AddCommand(
		a.deployCommand(),
		a.rollbackCommand(),
		a.statusCommand(),
		a.historyCommand(),
		a.listCommand(),
		a.uninstallCommand(),
		a.lintCommand(),
		a.renderCommand(),
		a.rbacCommand(),
		a.diffCommand(),
		a.driftCommand(),
		a.importHelmCommand(),
		a.verifyCommand(),
		a.reportCommand(),
		a.getCommand(),
		a.versionCommand(),
	)
	return root
}

// unknownCommand reports the first argument of the root command, which names no
// command, as a usage error with cobra's suggestions.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return &usageError{fmt.Errorf("%s; see `shipsafe --help`", msg)}
}

// exactArgs is cobra.ExactArgs that reports a usage error (exit 2).
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("want %s, got %d arguments", what, len(args))}
		}
		return nil
	}
}
