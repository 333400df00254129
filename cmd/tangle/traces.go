package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/reports/otlp"
	"github.com/tangle-sim/tangle/scenarios"
)

// traceFlags are run's trace output flags.
type traceFlags struct {
	dir    string
	sample float64
	max    int
	start  string
}

func addTraceFlags(fs *pflag.FlagSet) *traceFlags {
	f := &traceFlags{}
	fs.StringVar(&f.dir, "traces", "", "also write a sample of each run's requests as OpenTelemetry traces (OTLP JSON) into this directory: DIR/STRATEGY/replication-N.otlp.json")
	fs.Float64Var(&f.sample, "trace-sample", 0.01, "with --traces: the fraction of requests traced (the same requests every run)")
	fs.IntVar(&f.max, "trace-max", 10000, "with --traces: at most this many traces per run")
	fs.StringVar(&f.start, "trace-start", "1970-01-01T00:00:00Z", "with --traces: the wall-clock time (RFC 3339) the run's time 0 is stamped with")
	return f
}

func (f *traceFlags) attach(sc *scenarios.Scenario) (func(int, *scenarios.Built) func() any, error) {
	if f.dir == "" {
		return nil, nil
	}
	if !(f.sample > 0 && f.sample <= 1) {
		return nil, usagef("tangle run: --trace-sample must be in (0, 1], got %g", f.sample)
	}
	if f.max < 1 {
		return nil, usagef("tangle run: --trace-max must be at least 1, got %d", f.max)
	}
	start, err := time.Parse(time.RFC3339, f.start)
	if err != nil {
		return nil, usagef("tangle run: --trace-start: expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got %q", f.start)
	}
	cfg := otlp.Config{Sample: f.sample, Max: f.max}
	horizon := sc.Duration.T()
	return func(_ int, b *scenarios.Built) func() any {
		c := otlp.Attach(b.World, cfg, horizon)
		return func() any { return c.Finish(b.Faults.Windows(), start.UnixNano()) }
	}, nil
}

func (f *traceFlags) write(res *scenarios.Result) error {
	m := &ptrace.JSONMarshaler{}
	for _, s := range res.Strategies {
		for r, run := range s.Runs {
			td, ok := attachedAt(run, 1).(ptrace.Traces)
			if !ok {
				continue
			}
			b, err := m.MarshalTraces(td)
			if err != nil {
				return err
			}
			name := filepath.Join(f.dir, reports.FileName(s.Name), fmt.Sprintf("replication-%d.otlp.json", r))
			if err := reports.WriteFileAtomic(name, append(b, '\n')); err != nil {
				return err
			}
		}
	}
	return nil
}

// attachAll combines run hooks into one scenarios.Options.Attach (nil
// when all are nil); each run's Attached is then a []any with each hook's
// value at its index.
func attachAll(hooks ...func(int, *scenarios.Built) func() any) func(int, *scenarios.Built) func() any {
	any1 := false
	for _, h := range hooks {
		any1 = any1 || h != nil
	}
	if !any1 {
		return nil
	}
	return func(s int, b *scenarios.Built) func() any {
		finish := make([]func() any, len(hooks))
		for i, h := range hooks {
			if h != nil {
				finish[i] = h(s, b)
			}
		}
		return func() any {
			out := make([]any, len(finish))
			for i, f := range finish {
				if f != nil {
					out[i] = f()
				}
			}
			return out
		}
	}
}

// attachedAt is hook i's value for a run (nil without it).
func attachedAt(run scenarios.RunResult, i int) any {
	vs, ok := run.Attached.([]any)
	if !ok || i >= len(vs) {
		return nil
	}
	return vs[i]
}
