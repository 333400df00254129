package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

var runCmd = &command{
	name:    "run",
	summary: "Simulate a scenario and report its metrics for every strategy.",
	usage:   "[flags] [FILE | BUILTIN]",
	examples: `  tangle run                          # the default built-in scenario (` + scenarios.DefaultBuiltin + `)
  tangle run mm1 --json               # summary JSON on stdout
  tangle run my-scenario.yaml --seed 7 --replications 20
  tangle run mmc --out results/       # results.json, summary.json, manifest.json, series CSVs
  tangle run mmc --html report.html   # also the self-contained HTML report (opens offline)
  tangle list scenarios               # the built-in library`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		seed := fs.Uint64("seed", 0, "master random seed (default: the scenario's seed)")
		reps := fs.Int("replications", 0, "number of replications (default: the scenario's)")
		asJSON := fs.Bool("json", false, "print the summary JSON on stdout instead of the table")
		out := fs.String("out", "", "write results.json, summary.json, manifest.json and series/*.csv into this directory")
		htmlOut := fs.String("html", "", "also write the HTML report to this file: self-contained, opens offline (see tangle report)")
		workers := fs.Int("workers", 0, "runs simulated at once (default: the number of CPUs); results do not depend on it")
		quiet := fs.BoolP("quiet", "q", false, "no progress on stderr")
		return func(args []string) error {
			if len(args) > 1 {
				return usagef("tangle run: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			arg := scenarios.DefaultBuiltin
			if len(args) == 1 {
				arg = args[0]
			}
			if fs.Changed("replications") && *reps < 1 {
				return usagef("tangle run: --replications must be at least 1, got %d", *reps)
			}
			sc, err := openScenario(arg)
			if err != nil {
				return err
			}
			opts := scenarios.Options{Replications: *reps, Workers: *workers, Progress: &scenarios.Progress{}}
			if fs.Changed("seed") {
				opts.Seed = seed
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			done := a.showProgress(sc.Name, opts.Progress, *quiet)
			res, err := scenarios.Run(ctx, sc, opts)
			done()
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return usagef("tangle run: interrupted; nothing was written")
				}
				return err
			}
			meta := reports.Meta{Version: version, Rerun: rerunCommand(arg, res)}
			doc := reports.NewSummary(res, meta)
			var full *reports.Summary
			if *out != "" || *htmlOut != "" {
				full = reports.NewResults(res, meta)
			}
			if *out != "" {
				if err := writeOutputs(*out, res, doc, full); err != nil {
					return err
				}
			}
			if *htmlOut != "" {
				if err := a.writeHTML(*htmlOut, func(w io.Writer) error { return reports.WriteHTML(w, full, reports.HTMLOptions{}) }); err != nil {
					return err
				}
			}
			if *asJSON {
				return reports.WriteJSON(a.stdout, doc)
			}
			if err := reports.WriteTable(a.stdout, res); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nrerun: %s\n", meta.Rerun)
			if *out != "" {
				fmt.Fprintf(a.stdout, "results written to %s\n", *out)
			}
			if *htmlOut != "" {
				fmt.Fprintf(a.stdout, "HTML report written to %s\n", *htmlOut)
			}
			return nil
		}
	},
}

// openScenario loads a file or built-in, turning scenario errors into
// usage errors (exit code 2) with every problem on its own line.
func openScenario(arg string) (*scenarios.Scenario, error) {
	sc, err := scenarios.Open(arg)
	if err != nil {
		var list scenarios.ErrorList
		if errors.As(err, &list) {
			return nil, usageError{list}
		}
		return nil, usageError{err}
	}
	return sc, nil
}

// rerunCommand is the command line that reproduces res exactly.
func rerunCommand(arg string, res *scenarios.Result) string {
	return fmt.Sprintf("tangle run %s --seed %d --replications %d", shellQuote(arg), res.Seed, res.Replications)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// showProgress prints a progress line on stderr while a run lasts longer
// than a second, if stderr is a terminal and not --quiet. It returns the
// function that stops it and clears the line.
func (a *app) showProgress(name string, p *scenarios.Progress, quiet bool) func() {
	if quiet || !a.stderrTTY {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-stop:
				if shown {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
				return
			case <-tick.C:
			}
			el := time.Since(start)
			if el < time.Second {
				continue
			}
			shown = true
			fmt.Fprintf(a.stderr, "\r\033[K%s", progressLine(name, p, el))
		}
	}()
	return func() { close(stop); wg.Wait() }
}

// progressLine renders "name: runs 3/10 · sim 2d/5d · 4.1M events/s · ETA 12s".
func progressLine(name string, p *scenarios.Progress, elapsed time.Duration) string {
	simT, total := p.SimTime.Load(), p.TotalTime.Load()
	frac := 0.0
	if total > 0 {
		frac = float64(simT) / float64(total)
	}
	rate := float64(p.Events.Load()) / elapsed.Seconds()
	eta := "?"
	if frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: runs %d/%d · simulated %v of %v (%.0f%%) · %.2fM events/s · ETA %s",
		name, p.Done.Load(), p.Runs.Load(), sim.Time(simT).Duration().Round(time.Second), sim.Time(total).Duration().Round(time.Second),
		100*frac, rate/1e6, eta)
}

// writeOutputs writes the result files into dir, each atomically:
//
//	dir/results.json                      the full document: summary, series, fault windows
//	dir/summary.json                      the summary document (what --json prints)
//	dir/manifest.json                     seed, scenario hash, versions, rerun command
//	dir/series/STRATEGY/replication-N.csv one time series file per run
func writeOutputs(dir string, res *scenarios.Result, summary, full *reports.Summary) error {
	var buf bytes.Buffer
	for name, doc := range map[string]any{"results.json": full, "summary.json": summary, "manifest.json": reports.NewManifest(summary)} {
		buf.Reset()
		if err := reports.WriteJSON(&buf, doc); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, name), buf.Bytes()); err != nil {
			return err
		}
	}
	for _, s := range res.Strategies {
		for r, run := range s.Runs {
			if run.Series == nil {
				continue
			}
			buf.Reset()
			if err := reports.WriteSeriesCSV(&buf, run.Series); err != nil {
				return err
			}
			name := filepath.Join(dir, "series", reports.FileName(s.Name), fmt.Sprintf("replication-%d.csv", r))
			if err := writeFileAtomic(name, buf.Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a reader never sees a partial file and an interrupted
// write never destroys the previous one.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
