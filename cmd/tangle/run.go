package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

var runCmd = &command{
	name:    "run",
	summary: "Simulate a scenario and report its metrics for every strategy; exit 1 if a check or SLO failed.",
	usage:   "[flags] [FILE | BUILTIN]",
	examples: `  tangle run                          # the default built-in scenario (` + scenarios.DefaultBuiltin + `)
  tangle run mm1 --json               # summary JSON on stdout
  tangle run my-scenario.yaml --seed 7 --replications 20
  tangle run my.yaml --set topology.services[api].replicas=8 --set topology.telemetry.delay=2s
  tangle run mmc --out results/       # results.json, summary.json, manifest.json, series CSVs
  tangle run mmc --html report.html   # also the self-contained HTML report (opens offline)
  tangle run oscillation-incident --audit audit.jsonl   # the routing decisions, one JSON object per line
  tangle run outage.yaml --prometheus prom/   # OpenMetrics + promtool test rules input per run
  tangle run my.yaml --traces traces/ --trace-sample 0.05   # OTLP JSON spans of 5% of the requests
  tangle run my.yaml --quiet || echo "a check failed"   # exit code 1 gates CI
  tangle run retry-storm --gate budget   # exit on that strategy's checks alone`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		rf := addRunFlags(fs)
		asJSON := fs.Bool("json", false, "print the summary JSON on stdout instead of the table")
		out := fs.String("out", "", "write results.json, summary.json, manifest.json and series/*.csv into this directory")
		htmlOut := fs.String("html", "", "also write the HTML report to this file (- for standard output): self-contained, opens offline (see tangle report)")
		auditOut := fs.String("audit", "", "also write the routing decision audit trail to this file as JSON lines (one decision per line, atomically; - for standard output)")
		pf := addPromFlags(fs)
		tf := addTraceFlags(fs)
		gate := fs.StringSlice("gate", nil, "exit on these strategies' checks and SLOs alone, comma-separated, whatever the scenario expects of them (a CI gate)")
		return func(args []string) error {
			if len(args) > 1 {
				return usagef("tangle run: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			arg := scenarios.DefaultBuiltin
			if len(args) == 1 {
				arg = args[0]
			}
			sc, err := rf.load("run", arg)
			if err != nil {
				return err
			}
			a.printWarnings(sc)
			if err := preflight(*out, *htmlOut, *auditOut); err != nil {
				return err
			}
			// Standard output carries one thing: the table, the JSON, the
			// HTML report or the audit trail.
			toStdout := 0
			for _, on := range []bool{*asJSON, *htmlOut == "-", *auditOut == "-"} {
				if on {
					toStdout++
				}
			}
			if toStdout > 1 {
				return usagef("tangle run: only one of --json, --html - and --audit - can write to standard output")
			}
			quietTable := toStdout == 1 && !*asJSON
			for _, g := range *gate {
				if !slices.ContainsFunc(sc.Strategies, func(s scenarios.Strategy) bool { return s.Name == g }) {
					var names []string
					for _, s := range sc.Strategies {
						names = append(names, s.Name)
					}
					return usagef("tangle run: --gate %s: no such strategy; strategies are %s", g, strings.Join(names, ", "))
				}
			}
			opts := rf.options()
			attachProm, err := pf.attach(sc)
			if err != nil {
				return err
			}
			attachTraces, err := tf.attach(sc)
			if err != nil {
				return err
			}
			opts.Attach = attachAll(attachProm, attachTraces)
			ctx, stop := interruptible()
			defer stop()
			done := a.showProgress(sc.Name, func() progressSnapshot { return snapshotOf(opts.Progress) }, rf.quiet)
			res, err := scenarios.Run(ctx, sc, opts)
			done()
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return usagef("tangle run: interrupted; nothing was written")
				}
				return err
			}
			meta := reports.Meta{Version: version, Rerun: "tangle run " + shellQuote(arg) + rerunArgs(sc, rf.strategies, res.Seed, res.Replications)}
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
			if *auditOut != "" {
				var buf bytes.Buffer
				if err := reports.WriteAuditJSONL(&buf, res); err != nil {
					return err
				}
				if err := writeFileAtomic(a.stdout, *auditOut, buf.Bytes()); err != nil {
					return err
				}
			}
			if pf.dir != "" {
				if err := pf.write(res); err != nil {
					return err
				}
			}
			if tf.dir != "" {
				if err := tf.write(res); err != nil {
					return err
				}
			}
			if *asJSON {
				if err := reports.WriteJSON(a.stdout, doc); err != nil {
					return err
				}
			} else if !quietTable {
				if err := reports.WriteTable(a.stdout, res); err != nil {
					return err
				}
				if err := reports.WriteVerdict(a.stdout, doc); err != nil {
					return err
				}
				if len(*gate) > 0 {
					if err := reports.WriteGate(a.stdout, doc, *gate, scenarios.GateVerdict(res.Checks(), *gate)); err != nil {
						return err
					}
				}
				fmt.Fprintf(a.stdout, "\nrerun: %s\n", meta.Rerun)
				if *out != "" {
					fmt.Fprintf(a.stdout, "results written to %s\n", *out)
				}
				if *htmlOut != "" && *htmlOut != "-" {
					fmt.Fprintf(a.stdout, "HTML report written to %s\n", *htmlOut)
				}
				if pf.dir != "" {
					fmt.Fprintf(a.stdout, "Prometheus metrics written to %s\n", pf.dir)
				}
				if tf.dir != "" {
					fmt.Fprintf(a.stdout, "OTLP traces written to %s\n", tf.dir)
				}
			}
			verdict := doc.Verdict
			if len(*gate) > 0 {
				verdict = scenarios.GateVerdict(res.Checks(), *gate)
			}
			if verdict == "fail" {
				return errChecksFailed
			}
			return nil
		}
	},
}

func shellQuote(s string) string { return scenarios.ShellQuote(s) }

// writeOutputs writes the result files into dir, replacing whatever an
// earlier run left there as a whole (see reports.ReplaceDir):
//
//	dir/results.json                      the full document: summary, series, fault windows
//	dir/summary.json                      the summary document (what --json prints)
//	dir/manifest.json                     seed, scenario hash, versions, rerun command
//	dir/series/STRATEGY/replication-N.csv one time series file per run
func writeOutputs(dir string, res *scenarios.Result, summary, full *reports.Summary) error {
	return reports.ReplaceDir(dir, isRunDir, func(tmp string) error {
		var buf bytes.Buffer
		for _, f := range []struct {
			name string
			doc  any
		}{{"results.json", full}, {"summary.json", summary}, {"manifest.json", reports.NewManifest(summary)}} {
			buf.Reset()
			if err := reports.WriteJSON(&buf, f.doc); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, f.name), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
		for _, s := range res.Strategies {
			sdir := filepath.Join(tmp, "series", reports.FileName(s.Name))
			for r, run := range s.Runs {
				if run.Series == nil {
					continue
				}
				buf.Reset()
				if err := reports.WriteSeriesCSV(&buf, run.Series); err != nil {
					return err
				}
				if err := os.MkdirAll(sdir, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(sdir, fmt.Sprintf("replication-%d.csv", r)), buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// isRunDir reports whether dir holds the outputs of an earlier run.
func isRunDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "manifest.json"))
	return err == nil && st.Mode().IsRegular()
}

// writeFileAtomic writes data to path whole (see reports.WriteFileAtomic);
// "-" writes it to w, standard output.
func writeFileAtomic(w io.Writer, path string, data []byte) error {
	if path == "-" {
		_, err := w.Write(data)
		return err
	}
	return reports.WriteFileAtomic(path, data)
}

// preflight checks, before a long simulation, that the outputs can be
// written: each directory can be created and written, and no destination
// is something tangle will not replace.
func preflight(outDir string, files ...string) error {
	if outDir != "" {
		if err := checkWritable(filepath.Dir(filepath.Clean(outDir))); err != nil {
			return err
		}
		if st, err := os.Lstat(outDir); err == nil && (!st.IsDir() || !isRunDir(outDir)) && !(st.IsDir() && isEmpty(outDir)) {
			return usagef("--out %s: exists and does not hold the results of a tangle run; choose another directory, or empty it", outDir)
		}
	}
	for _, f := range files {
		if f == "" || f == "-" {
			continue
		}
		if st, err := os.Lstat(f); err == nil && !st.Mode().IsRegular() {
			return usagef("%s is not a regular file; tangle only replaces regular files (use - for standard output)", f)
		}
		if err := checkWritable(filepath.Dir(f)); err != nil {
			return err
		}
	}
	return nil
}

func isEmpty(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}
