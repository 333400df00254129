// Command tangle simulates routing and reconciliation strategies under
// faults and reports which survive: see `tangle help`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/scenarios"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes, as k6 and go test users expect them.
const (
	exitOK       = 0 // everything ran and every check held
	exitFailed   = 1 // a check or SLO failed
	exitUsage    = 2 // bad command line or scenario
	exitInternal = 3 // a bug in tangle
)

// usageError is a bad command line or scenario: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// command is one subcommand. setup registers its flags on fs and returns
// the function that runs it with the remaining arguments; help output
// calls setup only to list the flags.
type command struct {
	name     string
	summary  string
	usage    string // argument synopsis
	examples string
	setup    func(a *app, fs *pflag.FlagSet) func(args []string) error
}

// app carries the process's streams so tests can run commands in-process.
type app struct {
	stdout, stderr io.Writer
	stderrTTY      bool
}

var commands []*command

func init() {
	commands = []*command{runCmd, compareCmd, sweepCmd, mergeCmd, chaosCmd, reportCmd, validateCmd, importCmd, listCmd, explainCmd, newCmd, schemaCmd, versionCmd}
}

func main() {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stderrTTY: isTerminal(os.Stderr)}
	os.Exit(a.main(os.Args[1:]))
}

// main runs one command line and returns the exit code.
func (a *app) main(args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			a.reportInternal(args, fmt.Sprint(r), debug.Stack())
			code = exitInternal
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				a.commandHelp(c, nil)
				return exitOK
			}
		}
		a.help()
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		hint := ""
		if s := scenarios.Suggest(args[0], commandNames()); s != "" {
			hint = " (" + s + ")"
		}
		fmt.Fprintf(a.stderr, "tangle: unknown command %q%s\nRun 'tangle help' for the list of commands.\n", args[0], hint)
		return exitUsage
	}
	err := a.runCommand(c, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.Is(err, errChecksFailed):
		return exitFailed
	}
	var ue usageError
	var se *scenarios.Error
	var sl scenarios.ErrorList
	if errors.As(err, &ue) || errors.As(err, &se) || errors.As(err, &sl) {
		fmt.Fprintf(a.stderr, "%s\n", strings.TrimRight(scenarios.EscapeControls(err.Error()), "\n"))
		return exitUsage
	}
	if msg, ok := userIOError(err); ok {
		fmt.Fprintf(a.stderr, "tangle %s: %s\n", c.name, scenarios.EscapeControls(msg))
		return exitUsage
	}
	var ie *scenarios.InternalError
	if errors.As(err, &ie) {
		a.reportInternal(args, ie.Error(), ie.Stack)
		return exitInternal
	}
	a.reportInternal(args, err.Error(), nil)
	return exitInternal
}

// reportInternal prints a bug report: what failed, the command that
// reproduces it (runs are deterministic, so the same command line fails
// the same way) and where to report it.
func (a *app) reportInternal(args []string, what string, stack []byte) {
	var rerun strings.Builder
	rerun.WriteString("tangle")
	for _, arg := range args {
		rerun.WriteString(" " + shellQuote(arg))
	}
	fmt.Fprintf(a.stderr, "tangle: internal error (a bug in tangle, not in your scenario): %s\n", scenarios.EscapeControls(what))
	if len(stack) > 0 {
		fmt.Fprintf(a.stderr, "\n%s\n", stack)
	}
	fmt.Fprintf(a.stderr, "rerun: %s\n", scenarios.EscapeControls(rerun.String()))
	fmt.Fprintf(a.stderr, "tangle %s (%s). Please report this at %s with the lines above and the scenario file;\nthe same command line reproduces it exactly (every run is deterministic from its seed).\n", version, goVersion(), issueURL)
}

// issueURL is where bugs are reported.
const issueURL = "https://github.com/tangle-sim/tangle/issues"

// errChecksFailed makes a command exit with code 1 after it has reported
// which checks failed.
var errChecksFailed = errors.New("checks failed")

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func commandNames() []string {
	var n []string
	for _, c := range commands {
		n = append(n, c.name)
	}
	return n
}

func (a *app) help() {
	fmt.Fprintf(a.stdout, `tangle — a deterministic simulator and chaos testbed for routing and reconciliation strategies.

Usage:
  tangle <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(a.stdout, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(a.stdout, `
Run 'tangle help <command>' or 'tangle <command> --help' for a command's flags and examples.

Exit codes: 0 ok · 1 a check failed · 2 bad usage or scenario · 3 internal error.
`)
}

func (a *app) flagSet(c *command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

// runCommand parses c's flags and runs it: --help prints the command's
// help, and a flag error becomes a usage error.
func (a *app) runCommand(c *command, args []string) error {
	fs := a.flagSet(c)
	run := c.setup(a, fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			a.commandHelp(c, fs)
			return err
		}
		return usagef("tangle %s: %v\nRun 'tangle %s --help' for usage.", c.name, err, c.name)
	}
	return run(fs.Args())
}

func (a *app) commandHelp(c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(a.stdout, "%s\n\nUsage:\n  tangle %s %s\n", c.summary, c.name, c.usage)
	if fs == nil {
		fs = a.flagSet(c)
		c.setup(a, fs)
	}
	if fs.HasFlags() {
		fmt.Fprintf(a.stdout, "\nFlags:\n%s", fs.FlagUsages())
	}
	if c.examples != "" {
		fmt.Fprintf(a.stdout, "\nExamples:\n%s\n", strings.TrimRight(c.examples, "\n"))
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var versionCmd = &command{
	name:    "version",
	summary: "Print tangle's version and the Go version it was built with.",
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		return func([]string) error {
			fmt.Fprintf(a.stdout, "tangle %s (%s)\n", version, goVersion())
			return nil
		}
	},
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
