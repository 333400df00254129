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
  tangle run my.yaml --quiet || echo "a check failed"   # exit code 1 gates CI
  tangle run retry-storm --gate budget   # exit on that strategy's checks alone`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		rf := addRunFlags(fs)
		asJSON := fs.Bool("json", false, "print the summary JSON on stdout instead of the table")
		out := fs.String("out", "", "write results.json, summary.json, manifest.json and series/*.csv into this directory")
		htmlOut := fs.String("html", "", "also write the HTML report to this file: self-contained, opens offline (see tangle report)")
		auditOut := fs.String("audit", "", "also write the routing decision audit trail to this file as JSON lines (one decision per line, atomically)")
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
				if err := writeFileAtomic(*auditOut, buf.Bytes()); err != nil {
					return err
				}
			}
			if *asJSON {
				if err := reports.WriteJSON(a.stdout, doc); err != nil {
					return err
				}
			} else {
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
				if *htmlOut != "" {
					fmt.Fprintf(a.stdout, "HTML report written to %s\n", *htmlOut)
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

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
