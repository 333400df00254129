package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
)

var compareCmd = &command{
	name:    "compare",
	summary: "Compare strategies on common random numbers: each metric's paired difference from a baseline, with its 95% CI.",
	usage:   "[flags] FILE | BUILTIN",
	examples: `  tangle compare docs/examples/two-regions.yaml                  # every strategy against the first
  tangle compare my.yaml --strategies rr,p2c --baseline rr --replications 10
  tangle compare my.yaml --json | jq '.metrics[] | select(.name=="latency_p99")'`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		rf := addRunFlags(fs)
		baseline := fs.String("baseline", "", "the strategy the others are compared with (default: the first one)")
		asJSON := fs.Bool("json", false, "print the comparison JSON on stdout instead of the table")
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle compare: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			sc, err := rf.load("compare", args[0])
			if err != nil {
				return err
			}
			a.printWarnings(sc)
			if len(sc.Strategies) < 2 {
				return usagef("tangle compare: %s has %d strateg%s; comparing needs at least two (add strategies to the file or select them with --strategies)", sc.Name, len(sc.Strategies), pluralY(len(sc.Strategies)))
			}
			base := sc.Strategies[0].Name
			if *baseline != "" {
				base = *baseline
				if _, err := selectStrategies("compare", sc, []string{base}); err != nil {
					return usagef("tangle compare: --baseline %s: not one of the strategies compared", base)
				}
			}
			opts := rf.options()
			ctx, stop := interruptible()
			defer stop()
			done := a.showProgress(sc.Name, func() progressSnapshot { return snapshotOf(opts.Progress) }, rf.quiet)
			res, err := runScenario(ctx, sc, opts)
			done()
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return usagef("tangle compare: interrupted")
				}
				return err
			}
			rerun := "tangle compare " + shellQuote(args[0]) + rerunArgs(sc, rf.strategies, res.Seed, res.Replications)
			if *baseline != "" {
				rerun += " --baseline " + shellQuote(base)
			}
			doc, err := reports.NewCompare(res, base, reports.Meta{Version: version, Rerun: rerun})
			if err != nil {
				return err
			}
			if *asJSON {
				return reports.WriteJSON(a.stdout, doc)
			}
			if err := reports.WriteCompareTable(a.stdout, doc); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "\nrerun: %s\n", rerun)
			return err
		}
	},
}
