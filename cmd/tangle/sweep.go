package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/sweep"
)

// The sweep's planning, running, resuming, sharding and merging live in
// scenarios/sweep; these commands parse flags and print.

var sweepCmd = &command{
	name:    "sweep",
	summary: "Run a scenario over a grid of parameter values × seeds in parallel and rank the configurations.",
	usage:   "[flags] FILE | BUILTIN",
	examples: `  tangle sweep my.yaml --param topology.telemetry.interval=1s,5s,10s \
      --param 'topology.services[api].replicas=4..8/2' --replications 5 \
      --objective minimize:latency_p99 --constraint 'route_success_rate>=99%'
  tangle sweep my.yaml --param a=1,2,3 --param b=x,y,z --zip        # 3 cells, not 9
  tangle sweep my.yaml --param … --dry-run                          # check every cell, run nothing
  tangle sweep my.yaml --param … --out sweep/                       # resumable: rerun to continue
  tangle sweep my.yaml --param … --out shard-0 --shard 0/4          # one of four machines
  tangle sweep my.yaml --param … --out shard --shard auto/4         # index from $JOB_COMPLETION_INDEX
  tangle merge shard-0 shard-1 shard-2 shard-3 --out sweep/`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		rf := addRunFlags(fs)
		var params, cons []string
		fs.StringArrayVar(&params, "param", nil, "a swept value: path=v1,v2,… or path=lo..hi/step (repeatable; paths as --set)")
		zip := fs.Bool("zip", false, "take the i-th value of every --param together instead of every combination")
		objective := fs.String("objective", "route_success_rate", "rank by this metric: minimize:METRIC, maximize:METRIC, or METRIC in its better direction")
		fs.StringArrayVar(&cons, "constraint", nil, "a cell is feasible only if METRIC<=X (or >=, <, >) holds on its mean (repeatable)")
		out := fs.String("out", "", "persist each cell in this directory as it completes; a rerun continues from completed cells")
		shard := fs.String("shard", "", "run only shard i of n (every n-th cell from i): i/n, or auto/n to read i from $JOB_COMPLETION_INDEX")
		asJSON := fs.Bool("json", false, "print the sweep JSON on stdout instead of the table")
		top := fs.Int("top", 20, "rows of the ranked table (0: all)")
		dry := fs.Bool("dry-run", false, "check every cell's scenario and print the plan (cells, runs, their parameter values) without running it")
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle sweep: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			obj, err := reports.ParseObjective(*objective)
			if err != nil {
				return usagef("tangle sweep: --objective: %v", err)
			}
			var constraints []reports.Constraint
			for _, c := range cons {
				k, err := reports.ParseConstraint(c)
				if err != nil {
					return usagef("tangle sweep: --constraint: %v", err)
				}
				constraints = append(constraints, k)
			}
			sh, err := sweep.ParseShard(*shard, os.Getenv)
			if err != nil {
				return usagef("tangle sweep: --shard: %v", err)
			}
			if err := rf.check("sweep"); err != nil {
				return err
			}
			sets, err := rf.overrides("sweep")
			if err != nil {
				return err
			}
			spec := sweep.Spec{Arg: args[0], Sets: sets, Strategies: rf.strategies, Replications: rf.reps, Params: params, Zip: *zip, Shard: sh,
				Objective: obj.Flag(), Constraints: flagsOf(constraints), Version: version, Budget: rf.budget()}
			if rf.fs.Changed("seed") {
				spec.Seed = &rf.seed
			}
			pl, err := sweep.NewPlan(spec)
			if err != nil {
				// Every problem a plan finds is in the inputs (the
				// scenario, the flags): bad usage.
				var se *sweep.Error
				if errors.As(err, &se) {
					return usagef("tangle sweep: %v", se)
				}
				return usageError{err}
			}
			if err := checkMeasured(pl, obj, constraints); err != nil {
				return err
			}
			if sc := pl.Swept(); sc != nil {
				a.printWarnings(sc)
			}
			if *dry {
				pl.PrintPlan(a.stdout)
				return nil
			}
			if *out != "" {
				if err := checkWritable(*out); err != nil {
					return err
				}
			}
			ctx, stop := interruptible()
			defer stop()
			prog := &sweep.Progress{}
			stopProgress := a.showProgress(pl.Swept().Name, func() progressSnapshot {
				s := snapshotOf(&prog.Progress)
				s.cells, s.cellsDone = prog.Cells.Load(), prog.CellsDone.Load()
				s.runs, s.totalT = prog.AllRuns.Load(), prog.AllTime.Load()
				return s
			}, rf.quiet)
			opts := sweep.Options{Workers: rf.workers, Budget: rf.budget(), Progress: prog}
			if !rf.quiet {
				opts.Resumed = func(done, pending int) {
					fmt.Fprintf(a.stderr, "%s: %d cell%s already done in %s, %d to run\n", pl.Swept().Name, done, plural(done), *out, pending)
				}
			}
			doc, err := sweep.Run(ctx, pl, *out, opts)
			stopProgress()
			if err != nil {
				return sweepError("sweep", err)
			}
			if err := reports.Rank(doc, obj, constraints); err != nil {
				return usagef("tangle sweep: %v", err)
			}
			if *out != "" {
				if err := sweep.WriteDoc(*out, doc); err != nil {
					return err
				}
			}
			return a.finishSweep(doc, obj, constraints, *out, *asJSON, *top)
		}
	},
}

var mergeCmd = &command{
	name:    "merge",
	summary: "Combine the output directories of a sharded sweep into one sweep, identical to an unsharded run.",
	usage:   "[flags] DIR...",
	examples: `  tangle merge shard-0 shard-1 shard-2 shard-3 --out sweep/
  tangle merge results/shard-* --json > sweep.json`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		out := fs.String("out", "", "write the merged sweep.json (and plan.json) into this directory")
		asJSON := fs.Bool("json", false, "print the sweep JSON on stdout instead of the table")
		top := fs.Int("top", 20, "rows of the ranked table (0: all)")
		return func(dirs []string) error {
			if len(dirs) == 0 {
				return usagef("tangle merge: name the output directories of the shards")
			}
			pl, cells, err := sweep.Merge(dirs)
			if err != nil {
				return sweepError("merge", err)
			}
			pl.Version = version
			obj, err := reports.ParseObjective(pl.Objective)
			if err != nil {
				return usagef("tangle merge: %v", err)
			}
			var constraints []reports.Constraint
			for _, c := range pl.Constraints {
				k, err := reports.ParseConstraint(c)
				if err != nil {
					return usagef("tangle merge: %v", err)
				}
				constraints = append(constraints, k)
			}
			doc := pl.Doc(cells)
			if err := reports.Rank(doc, obj, constraints); err != nil {
				return usagef("tangle merge: %v", err)
			}
			if *out != "" {
				// The directory an unsharded sweep would have written.
				if err := sweep.WriteDir(*out, pl, cells, doc); err != nil {
					return sweepError("merge", err)
				}
			}
			return a.finishSweep(doc, obj, constraints, *out, *asJSON, *top)
		}
	},
}

func flagsOf(cs []reports.Constraint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Flag())
	}
	return out
}

// sweepError turns the sweep library's errors into the command's: a
// problem with the sweep's inputs or directories is bad usage (exit 2).
func sweepError(cmd string, err error) error {
	var se *sweep.Error
	var ie *sweep.Interrupted
	switch {
	case errors.As(err, &ie):
		return usagef("tangle %s: %v", cmd, ie)
	case errors.As(err, &se):
		return usagef("tangle %s: %v", cmd, se)
	case errors.Is(err, context.Canceled):
		return usagef("tangle %s: interrupted", cmd)
	}
	return err
}

// checkMeasured refuses an objective or constraint on a metric the
// sweep's cells do not report, before anything runs (a dry run included).
func checkMeasured(pl *sweep.Plan, obj reports.Objective, cons []reports.Constraint) error {
	measured, err := pl.Measured()
	if err != nil {
		return sweepError("sweep", err)
	}
	check := func(flag, metric string) error {
		if _, found := slices.BinarySearch(measured, metric); found {
			return nil
		}
		hint := ""
		if s := scenarios.Suggest(metric, measured); s != "" {
			hint = " (" + s + ")"
		}
		return usagef("tangle sweep: %s: %s does not measure %s%s; see tangle list metrics", flag, pl.Swept().Name, metric, hint)
	}
	if err := check("--objective", obj.Metric); err != nil {
		return err
	}
	for _, c := range cons {
		if err := check("--constraint", c.Metric); err != nil {
			return err
		}
	}
	return nil
}

// finishSweep prints the ranked table (saying where the document was
// written, dir, if anywhere) or the JSON. A whole sweep in which no cell
// meets the constraints says so and exits 1, like a failed check: there
// is no configuration to recommend.
func (a *app) finishSweep(doc *reports.SweepDoc, obj reports.Objective, cons []reports.Constraint, dir string, asJSON bool, top int) error {
	if asJSON {
		if err := reports.WriteJSON(a.stdout, doc); err != nil {
			return err
		}
	} else {
		if err := reports.WriteSweepTable(a.stdout, doc, obj, cons, top); err != nil {
			return err
		}
		if dir != "" {
			fmt.Fprintf(a.stdout, "sweep written to %s\n", filepath.Join(dir, "sweep.json"))
		}
		if doc.Shard != "" {
			fmt.Fprintf(a.stdout, "this is shard %s: combine the shards' directories with tangle merge\n", doc.Shard)
		}
	}
	if len(cons) > 0 && len(doc.Cells) > 0 && doc.Best() == nil {
		var cs []string
		for _, c := range cons {
			cs = append(cs, c.String())
		}
		if doc.Shard != "" {
			fmt.Fprintf(a.stderr, "tangle sweep: no cell of shard %s meets %s; the merged sweep may still have one\n", doc.Shard, strings.Join(cs, " and "))
			return nil
		}
		fmt.Fprintf(a.stderr, "tangle sweep: no cell meets %s: loosen the constraints, or sweep other values\n", strings.Join(cs, " and "))
		return errChecksFailed
	}
	return nil
}
