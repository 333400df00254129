package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
)

var chaosCmd = &command{
	name:    "chaos",
	summary: "Search random fault schedules for one that breaks a check, an SLO or an invariant, and shrink it to a minimal scenario file.",
	usage:   "[flags] FILE | BUILTIN",
	examples: `  tangle chaos my.yaml --trials 200                         # checks, SLOs and invariants
  tangle chaos retry-storm --strategies naive-retries --non-recovery
  tangle chaos my.yaml --faults crash,pause,link --max-faults 2 --time-budget 10m
  tangle chaos my.yaml --out chaos/                         # resumable: rerun to continue`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		var sets, strategies, kinds []string
		fs.StringArrayVar(&sets, "set", nil, "override a scenario value: path=value (repeatable)")
		fs.StringSliceVar(&strategies, "strategies", nil, "test only these strategies, comma-separated (default: all of the scenario's)")
		fs.StringSliceVar(&kinds, "faults", nil, "draw only these fault kinds, comma-separated (default: every kind that applies to the topology)")
		seed := fs.Uint64("seed", 1, "search seed: trial i draws its schedule from it and i (the scenario's own seed is kept)")
		trials := fs.Int("trials", 100, "schedules to try")
		maxFaults := fs.Int("max-faults", 3, "faults per schedule, at most")
		budget := fs.Duration("time-budget", 0, "stop starting trials after this much wall time (0: none); rerun to continue")
		workers := fs.Int("workers", 0, "trials run at once (default: the number of CPUs); the outcome does not depend on it")
		nonRecovery := fs.Bool("non-recovery", false, "also fail a trial whose run does not return to its pre-fault baseline after the faults (metastability)")
		out := fs.String("out", ".", "directory for minimal.yaml and the search's state (chaos-state.json, for resuming)")
		quiet := fs.BoolP("quiet", "q", false, "no progress on stderr")
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle chaos: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			if *trials < 1 || *maxFaults < 1 || *workers < 0 {
				return usagef("tangle chaos: --trials and --max-faults must be at least 1 and --workers not negative")
			}
			for _, k := range kinds {
				if _, ok := faults.Lookup(k); !ok {
					hint := ""
					if s := scenarios.Suggest(k, faults.Names()); s != "" {
						hint = " (" + s + ")"
					}
					return usagef("tangle chaos: --faults: unknown fault kind %q%s; see tangle list faults", k, hint)
				}
			}
			var overrides []scenarios.Override
			for _, s := range sets {
				o, err := scenarios.ParseOverride(s)
				if err != nil {
					return usagef("tangle chaos: --set %s: %v", s, err)
				}
				overrides = append(overrides, o)
			}
			sc, err := openScenario(args[0], overrides...)
			if err != nil {
				return err
			}
			if _, err := selectStrategies("chaos", sc, strategies); err != nil {
				return err
			}
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			cfg := chaos.Config{
				Seed: *seed, Trials: *trials, Kinds: kinds, MaxFaults: *maxFaults, Strategies: strategies,
				Properties: chaos.Properties{NonRecovery: *nonRecovery}, Workers: *workers,
				State: filepath.Join(*out, "chaos-state.json"),
			}
			return a.chaos(sc, args[0], cfg, *out, *budget, *quiet)
		}
	},
}

// chaos runs the search and reports it: exit 1 with minimal.yaml written
// when a trial failed.
func (a *app) chaos(sc *scenarios.Scenario, arg string, cfg chaos.Config, dir string, budget time.Duration, quiet bool) error {
	ctx, stop := interruptible()
	defer stop()
	if budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	start, first, shown := time.Now(), -1, time.Time{}
	every := plainEvery
	if a.stderrTTY {
		every = ttyEvery
	}
	if !quiet {
		// Called between batches of trials, from this goroutine.
		cfg.Progress = func(done, total int) {
			if first < 0 {
				first = done
			}
			if el := time.Since(start); el >= progressAfter && time.Since(shown) >= every {
				shown = time.Now()
				if a.stderrTTY {
					fmt.Fprintf(a.stderr, "\r\033[Kchaos: %s", chaosProgress(done, total, done-first, el))
				} else {
					fmt.Fprintf(a.stderr, "chaos: %s\n", chaosProgress(done, total, done-first, el))
				}
			}
		}
	}
	rep, err := chaos.Search(ctx, sc, cfg)
	if !shown.IsZero() && a.stderrTTY {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("interrupted while shrinking: %w", err)
		}
		return usageError{fmt.Errorf("tangle chaos: %v", err)}
	}
	if rep.Resumed > 0 && !quiet {
		fmt.Fprintf(a.stderr, "chaos: %d trials already done in %s, resumed from there\n", rep.Resumed, dir)
	}
	rerun := "tangle chaos " + shellQuote(arg) + chaosArgs(sc, cfg)
	fmt.Fprintf(a.stdout, "chaos: %s · seed %d · %d trial%s · faults from %s\n", sc.Name, cfg.Seed, rep.Trials, plural(rep.Trials), strings.Join(rep.Space.KindNames(), ", "))
	f := rep.Failure
	if f == nil {
		if rep.Interrupted {
			fmt.Fprintf(a.stdout, "stopped after %d of %d trials without a failure; rerun the same command to continue\n", rep.Trials, cfg.Trials)
		} else {
			fmt.Fprintf(a.stdout, "no failure in %d trials\n", rep.Trials)
		}
		fmt.Fprintf(a.stdout, "\nrerun: %s\n", rerun)
		return nil
	}
	path := filepath.Join(dir, "minimal.yaml")
	src, err := f.MinimalYAML(path, rerun)
	if err != nil {
		return err
	}
	if err := reports.WriteFileAtomic(path, src); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "trial %d failed with %d fault%s; shrunk to %d in %d runs:\n", f.Trial, len(f.Original), plural(len(f.Original)), len(f.Minimal), f.ShrinkRuns)
	for _, v := range f.Violations {
		fmt.Fprintf(a.stdout, "  ✗ %s\n", v)
	}
	fmt.Fprintf(a.stdout, "wrote %s\n\nrerun: tangle run %s --seed %d\n", path, path, f.Scenario.Seed)
	return errChecksFailed
}

// chaosProgress renders "12/100 trials · 3.1 trials/s · ETA 28s".
func chaosProgress(done, total, ran int, el time.Duration) string {
	rate := float64(ran) / el.Seconds()
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d trials · %.2g trials/s · ETA %s", done, total, rate, eta)
}

// chaosArgs are the flags that repeat a search.
func chaosArgs(sc *scenarios.Scenario, cfg chaos.Config) string {
	var b strings.Builder
	for _, o := range sc.Overrides {
		b.WriteString(" --set " + shellQuote(o.Arg()))
	}
	if len(cfg.Strategies) > 0 {
		b.WriteString(" --strategies " + shellQuote(strings.Join(cfg.Strategies, ",")))
	}
	if len(cfg.Kinds) > 0 {
		b.WriteString(" --faults " + shellQuote(strings.Join(cfg.Kinds, ",")))
	}
	if cfg.Properties.NonRecovery {
		b.WriteString(" --non-recovery")
	}
	fmt.Fprintf(&b, " --seed %d --trials %d --max-faults %d", cfg.Seed, cfg.Trials, cfg.MaxFaults)
	return b.String()
}
