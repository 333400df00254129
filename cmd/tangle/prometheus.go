package main

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/reports/prom"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// promFlags are run's Prometheus output flags.
type promFlags struct {
	dir    string
	scrape time.Duration
	start  string
}

func addPromFlags(fs *pflag.FlagSet) *promFlags {
	f := &promFlags{}
	fs.StringVar(&f.dir, "prometheus", "", "also write each run as Prometheus metrics into this directory: OpenMetrics with timestamps (promtool tsdb create-blocks-from openmetrics), the last scrape as text, and a promtool test rules file (see docs/alerting.md)")
	fs.DurationVar(&f.scrape, "scrape-interval", prom.DefaultScrape.Duration(), "with --prometheus: the simulated scrape interval")
	fs.StringVar(&f.start, "prometheus-start", "1970-01-01T00:00:00Z", "with --prometheus: the wall-clock time (RFC 3339) the run's time 0 is stamped with in the OpenMetrics file")
	return f
}

// attach returns a hook that scrapes a run (see attachAll), or nil
// without --prometheus.
func (f *promFlags) attach(sc *scenarios.Scenario) (func(int, *scenarios.Built) func() any, error) {
	if f.dir == "" {
		return nil, nil
	}
	if f.scrape < time.Millisecond {
		return nil, usagef("tangle run: --scrape-interval must be at least 1ms, got %v", f.scrape)
	}
	if _, err := time.Parse(time.RFC3339, f.start); err != nil {
		return nil, usagef("tangle run: --prometheus-start: expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got %q", f.start)
	}
	cfg := prom.Config{Scrape: sim.Time(f.scrape)}
	horizon := sc.Duration.T()
	return func(_ int, b *scenarios.Built) func() any {
		c := prom.Attach(b.World, cfg, horizon)
		return func() any { return c.Finish(b.Faults.Windows()) }
	}, nil
}

// write writes every run's metrics:
//
//	DIR/STRATEGY/replication-N/metrics.om        OpenMetrics, every scrape, timestamped
//	DIR/STRATEGY/replication-N/metrics.prom      the last scrape, Prometheus text format
//	DIR/STRATEGY/replication-N/rules-test.yaml   promtool test rules input_series
func (f *promFlags) write(res *scenarios.Result) error {
	start, _ := time.Parse(time.RFC3339, f.start)
	var buf bytes.Buffer
	for _, s := range res.Strategies {
		for r, run := range s.Runs {
			pr, ok := attachedAt(run, 0).(*prom.Run)
			if !ok {
				continue
			}
			dir := filepath.Join(f.dir, reports.FileName(s.Name), fmt.Sprintf("replication-%d", r))
			buf.Reset()
			if err := prom.WriteOpenMetrics(&buf, pr, start.UnixMilli()); err != nil {
				return err
			}
			if err := reports.WriteFileAtomic(filepath.Join(dir, "metrics.om"), buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
			if err := prom.WriteText(&buf, pr); err != nil {
				return err
			}
			if err := reports.WriteFileAtomic(filepath.Join(dir, "metrics.prom"), buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
			name := fmt.Sprintf("%s · strategy %s · replication %d (seed %d)", res.Scenario.Name, s.Name, r, run.Seed)
			if err := prom.WriteRulesTest(&buf, pr.RulesTest(name), rulesTestHeader(res, run)); err != nil {
				return err
			}
			if err := reports.WriteFileAtomic(filepath.Join(dir, "rules-test.yaml"), buf.Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// rulesTestHeader says how to use the file and what tangle saw: the fault
// windows and its own burn-rate alert detection, in promtool's time (0 is
// the run's start).
func rulesTestHeader(res *scenarios.Result, run scenarios.RunResult) string {
	var b strings.Builder
	b.WriteString("promtool test rules input written by tangle: the series a Prometheus server would have\n")
	b.WriteString("scraped from the simulated run. Add your rule files to rule_files and the alerts you\n")
	b.WriteString("expect to an alert_rule_test list, then run: promtool test rules rules-test.yaml\n")
	for _, w := range run.Faults {
		end := "the end"
		if w.End != sim.Never {
			end = w.End.Duration().String()
		}
		fmt.Fprintf(&b, "fault %d %s on %s: from %v to %s\n", w.Index, w.Kind, w.Target, w.Start.Duration(), end)
	}
	for _, slo := range run.SLOs {
		for _, a := range slo.Alerts {
			if math.IsNaN(a.Detection) {
				fmt.Fprintf(&b, "slo %s: %s alert %v/%v at burn rate %g did not fire\n", slo.Name, a.Severity, a.Long.Duration(), a.Short.Duration(), a.Rate)
				continue
			}
			fmt.Fprintf(&b, "slo %s: %s alert %v/%v at burn rate %g fired %gs after %v\n", slo.Name, a.Severity, a.Long.Duration(), a.Short.Duration(), a.Rate, a.Detection, slo.Reference.Duration())
		}
	}
	return b.String()
}
