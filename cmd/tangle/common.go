package main

import (
	"context"
	"errors"
	"os"
	"os/signal"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/scenarios"
)

// runFlags are the flags shared by the commands that simulate: which
// scenario values to override, which strategies, seeds and replications,
// how many workers, and whether to show progress.
type runFlags struct {
	fs         *pflag.FlagSet
	sets       []string
	strategies []string
	seed       uint64
	reps       int
	workers    int
	quiet      bool
	allowLarge bool
}

func addRunFlags(fs *pflag.FlagSet) *runFlags {
	f := &runFlags{fs: fs}
	fs.StringArrayVar(&f.sets, "set", nil, "override a scenario value: path=value, such as topology.services[api].replicas=8 (repeatable)")
	fs.StringSliceVar(&f.strategies, "strategies", nil, "run only these strategies, comma-separated (default: all of the scenario's)")
	fs.Uint64Var(&f.seed, "seed", 0, "master random seed (default: the scenario's seed)")
	fs.IntVar(&f.reps, "replications", 0, "number of replications (default: the scenario's)")
	fs.IntVar(&f.workers, "workers", 0, "runs simulated at once (default: the number of CPUs); results do not depend on it")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fs.BoolVar(&f.allowLarge, "allow-large", false, "run even when the estimated cost exceeds the default budget (2e9 events, 4 GiB); memory beyond what the machine has is still refused")
	return f
}

// budget is what a run may cost: the default, or with --allow-large all
// the time it takes and up to 90% of the machine's memory.
func (f *runFlags) budget() *scenarios.Budget {
	if !f.allowLarge {
		return nil
	}
	mem := physicalMemory()
	if mem == 0 {
		mem = 16 << 30 // unknown: assume a workstation's
	}
	return &scenarios.Budget{Memory: 0.9 * mem}
}

// check refuses flag values that need no scenario to be wrong.
func (f *runFlags) check(cmd string) error {
	if f.fs.Changed("replications") && f.reps < 1 {
		return usagef("tangle %s: --replications must be at least 1, got %d", cmd, f.reps)
	}
	if f.workers < 0 {
		return usagef("tangle %s: --workers must be at least 1 (or 0 for one per CPU), got %d", cmd, f.workers)
	}
	return nil
}

// overrides parses the --set flags.
func (f *runFlags) overrides(cmd string) ([]scenarios.Override, error) {
	var out []scenarios.Override
	for _, s := range f.sets {
		o, err := scenarios.ParseOverride(s)
		if err != nil {
			return nil, usagef("tangle %s: --set %s: %v", cmd, s, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// load opens the scenario with the overrides applied and the strategies
// selected, and checks the flags that need no scenario.
func (f *runFlags) load(cmd, arg string) (*scenarios.Scenario, error) {
	if err := f.check(cmd); err != nil {
		return nil, err
	}
	sets, err := f.overrides(cmd)
	if err != nil {
		return nil, err
	}
	sc, err := openScenario(arg, sets...)
	if err != nil {
		return nil, err
	}
	return selectStrategies(cmd, sc, f.strategies)
}

// selectStrategies keeps only the named strategies, in the order named
// (see Scenario.Select).
func selectStrategies(cmd string, sc *scenarios.Scenario, names []string) (*scenarios.Scenario, error) {
	out, err := sc.Select(names)
	if err != nil {
		return nil, usagef("tangle %s: --strategies: %v", cmd, err)
	}
	return out, nil
}

func (f *runFlags) options() scenarios.Options {
	opts := scenarios.Options{Replications: f.reps, Workers: f.workers, Progress: &scenarios.Progress{}, Budget: f.budget()}
	if f.fs.Changed("seed") {
		opts.Seed = &f.seed
	}
	return opts
}

// rerunArgs are the flags that reproduce a run of sc exactly.
func rerunArgs(sc *scenarios.Scenario, strategies []string, seed uint64, reps int) string {
	return scenarios.RerunArgs(sc, strategies, seed, reps)
}

// interruptible returns a context cancelled by Ctrl-C.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// openScenario loads a file or built-in with overrides, turning scenario
// errors into usage errors (exit code 2) with every problem on its own
// line.
func openScenario(arg string, sets ...scenarios.Override) (*scenarios.Scenario, error) {
	sc, err := scenarios.Open(arg, sets...)
	if err != nil {
		var list scenarios.ErrorList
		if errors.As(err, &list) {
			return nil, usageError{list}
		}
		return nil, usageError{err}
	}
	return sc, nil
}

// runScenario runs sc; it exists so every command runs scenarios the same
// way.
func runScenario(ctx context.Context, sc *scenarios.Scenario, opts scenarios.Options) (*scenarios.Result, error) {
	return scenarios.Run(ctx, sc, opts)
}
