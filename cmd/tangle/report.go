package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
)

var reportCmd = &command{
	name:    "report",
	summary: "Render a results, summary or sweep document as a self-contained HTML report.",
	usage:   "[flags] RESULTS.json",
	examples: `  tangle run my-scenario.yaml --out results/
  tangle report results/results.json -o report.html    # verdict, comparison, faults, time series, audit trail
  tangle report results/summary.json -o summary.html   # no per-run data: verdict, comparison, distributions
  tangle report results/results.json --replication 3   # plot replication 3; writes results/results.html
  tangle report sweep.json -o sweep.html --heatmap ttl,band`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		output := fs.StringP("output", "o", "", "the HTML file to write, - for standard output (default: the input's path with .html)")
		rep := fs.Int("replication", 0, "the replication whose time series, fault windows and audit trail are shown")
		points := fs.Int("max-points", 2000, "downsample each plotted series to about this many points (LTTB, extremes kept)")
		auditRows := fs.Int("audit-rows", 25, "audit-trail rows shown per strategy")
		heatmap := fs.StringSlice("heatmap", nil, "sweep documents: the two swept parameters the heatmap spans (default: the first two)")
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle report: expected one results document (results.json, summary.json or a sweep document), got %d arguments", len(args))
			}
			if *points < 10 {
				return usagef("tangle report: --max-points must be at least 10, got %d", *points)
			}
			if *auditRows < 1 {
				return usagef("tangle report: --audit-rows must be at least 1, got %d", *auditRows)
			}
			if len(*heatmap) > 2 {
				return usagef("tangle report: --heatmap takes two parameters, got %d", len(*heatmap))
			}
			in := args[0]
			f, err := os.Open(in)
			if err != nil {
				return usagef("tangle report: %v", err)
			}
			summary, sweep, err := reports.ReadDocument(f)
			f.Close()
			if err != nil {
				return usagef("tangle report: %s: %v", in, err)
			}
			o := reports.HTMLOptions{MaxPoints: *points, AuditRows: *auditRows, Replication: *rep}
			copy(o.Heatmap[:], *heatmap)
			dst := *output
			if dst == "" {
				dst = strings.TrimSuffix(in, filepath.Ext(in)) + ".html"
			}
			var write func(io.Writer) error
			switch {
			case sweep != nil:
				write = func(w io.Writer) error { return reports.WriteSweepHTML(w, sweep, o) }
			default:
				if *rep < 0 || *rep >= max(summary.Replications, 1) {
					return usagef("tangle report: --replication %d: %s has replications 0 to %d", *rep, in, summary.Replications-1)
				}
				if !hasRuns(summary) {
					fmt.Fprintf(a.stderr, "tangle report: %s has no per-run data (a summary document): the report shows the verdict, comparison and distributions but no time series, fault timeline or audit trail; render results.json for them\n", in)
				}
				write = func(w io.Writer) error { return reports.WriteHTML(w, summary, o) }
			}
			if err := a.writeHTML(dst, write); err != nil {
				return err
			}
			if dst != "-" {
				fmt.Fprintf(a.stdout, "HTML report written to %s\n", dst)
			}
			return nil
		}
	},
}

func hasRuns(doc *reports.Summary) bool {
	for _, s := range doc.Strategies {
		if len(s.Runs) > 0 {
			return true
		}
	}
	return false
}

// writeHTML renders an HTML report into path atomically, warning first
// when this build cannot inline ECharts. A rendering error (a heatmap
// parameter that was not swept) is a usage error.
func (a *app) writeHTML(path string, write func(io.Writer) error) error {
	if !reports.EChartsEmbedded() {
		fmt.Fprintf(a.stderr, "tangle: warning: %s\n", reports.EChartsNotice)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return usagef("tangle: HTML report: %v", err)
	}
	return writeFileAtomic(a.stdout, path, buf.Bytes())
}
