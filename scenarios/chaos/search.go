package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// Config is one chaos search.
type Config struct {
	Seed       uint64   // master seed; trial i draws from sim.SubSeed(Seed, i)
	Trials     int      // trials to run
	Kinds      []string // fault kinds to draw from; empty: every kind that applies
	MaxFaults  int      // faults per schedule, at most; default 3
	Strategies []string // strategies to test; empty: all of the scenario's
	Properties Properties
	// Workers is how many trials run at once (one engine each); 0 means
	// GOMAXPROCS. The outcome does not depend on it: trials run in batches
	// and the lowest failing trial of a batch is the one reported.
	Workers int
	// ShrinkBudget bounds the runs spent shrinking; default 200.
	ShrinkBudget int
	// State, if set, is a file recording the trials done, so an
	// interrupted search resumes where it stopped (with the same scenario
	// and configuration).
	State string
	// Progress, if set, is called after each batch with the trials done.
	Progress func(done, total int)
}

// Failure is a schedule that broke a property, and its shrunk form.
type Failure struct {
	Trial      int
	Kinds      []string // the trial's swarm of kinds
	Original   []scenarios.Fault
	Minimal    []scenarios.Fault
	Violations []Violation // of the minimal schedule
	ShrinkRuns int
	// Minimal1 is true when removing any one fault of Minimal (all of it,
	// for a single fault) was run and made the violation go away.
	Minimal1 bool
	Scenario *scenarios.Scenario // the minimal scenario, with a check that fails on it for a non-recovery
}

// Report is the outcome of a search.
type Report struct {
	Trials      int // trials run (including resumed ones)
	Resumed     int // of which done by an earlier search (Config.State)
	Interrupted bool
	Space       *Space
	Failure     *Failure // nil when every trial passed
}

// state is what a resumable search records.
type state struct {
	Scenario string `json:"scenario_hash"`
	Config   string `json:"config"`
	Done     int    `json:"trials_done"`
}

// Search runs up to cfg.Trials trials on sc (its own faults replaced by a
// drawn schedule each trial) and stops at the first failing trial, which
// it shrinks. A cancelled ctx stops it between batches with
// Report.Interrupted set.
func Search(ctx context.Context, sc *scenarios.Scenario, cfg Config) (*Report, error) {
	if cfg.MaxFaults <= 0 {
		cfg.MaxFaults = 3
	}
	if cfg.ShrinkBudget <= 0 {
		cfg.ShrinkBudget = 200
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	base, err := Select(sc, cfg.Strategies)
	if err != nil {
		return nil, err
	}
	sp, err := NewSpace(base, cfg.Kinds, cfg.MaxFaults)
	if err != nil {
		return nil, err
	}
	rep := &Report{Space: sp}
	st := state{Scenario: sc.Hash, Config: cfg.key()}
	if cfg.State != "" {
		if rep.Trials, err = resume(cfg.State, st); err != nil {
			return nil, err
		}
		rep.Resumed = rep.Trials
	}
	type outcome struct {
		kinds []string
		fs    []scenarios.Fault
		vs    []Violation
		err   error
	}
	for rep.Trials < cfg.Trials {
		n := min(workers, cfg.Trials-rep.Trials)
		outs := make([]outcome, n)
		var wg sync.WaitGroup
		for k := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := &outs[k]
				o.kinds, o.fs = sp.Trial(cfg.Seed, rep.Trials+k)
				o.vs, o.err = sp.Judge(ctx, o.fs, cfg.Properties)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			rep.Interrupted = true
			return rep, nil
		}
		for k, o := range outs {
			if o.err != nil {
				return nil, fmt.Errorf("trial %d: %w", rep.Trials+k, o.err)
			}
			if len(o.vs) > 0 {
				f, err := sp.shrink(ctx, rep.Trials+k, o.kinds, o.fs, o.vs[0], cfg)
				if err != nil {
					return nil, err
				}
				rep.Trials += k + 1
				rep.Failure = f
				return rep, nil
			}
		}
		rep.Trials += n
		if cfg.State != "" {
			st.Done = rep.Trials
			if err := save(cfg.State, st); err != nil {
				return nil, err
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(rep.Trials, cfg.Trials)
		}
	}
	return rep, nil
}

// Trial draws trial i's swarm of kinds and schedule from seed.
func (sp *Space) Trial(seed uint64, i int) ([]string, []scenarios.Fault) {
	rng := sim.NewStream(sim.SubSeed(seed, uint64(i)), "chaos")
	kinds := sp.Swarm(rng)
	return kinds, sp.Draw(rng, kinds)
}

// Judge runs the base scenario with schedule fs and returns what it broke.
// A non-recovery counts only if it persists when the run is twice as long
// (the same schedule, more time after it): a strategy that recovers
// slowly, after the end of the run, is not metastable.
func (sp *Space) Judge(ctx context.Context, fs []scenarios.Fault, props Properties) ([]Violation, error) {
	sc, err := sp.Apply(fs)
	if err != nil {
		return nil, err
	}
	res, err := scenarios.Run(ctx, sc, scenarios.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	vs := Evaluate(res, props)
	if !slices.ContainsFunc(vs, func(v Violation) bool { return v.Kind == "non-recovery" }) {
		return vs, nil
	}
	longer := *sc
	longer.Duration *= 2
	lsc, err := Reparse(&longer)
	if err != nil {
		return nil, err
	}
	lres, err := scenarios.Run(ctx, lsc, scenarios.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(vs, func(v Violation) bool {
		if v.Kind != "non-recovery" {
			return false
		}
		for _, s := range lres.Strategies {
			if s.Name == v.Strategy {
				return !(s.Metrics["non_recovery"].Mean > 0)
			}
		}
		return true
	}), nil
}

// shrink reduces a failing trial's schedule, keeping the first violation.
func (sp *Space) shrink(ctx context.Context, trial int, kinds []string, fs []scenarios.Fault, v Violation, cfg Config) (*Failure, error) {
	f := &Failure{Trial: trial, Kinds: kinds, Original: fs}
	same := func(vs []Violation) bool {
		return slices.ContainsFunc(vs, func(w Violation) bool { return w.Kind == v.Kind && w.Strategy == v.Strategy })
	}
	var runErr error
	f.Minimal = Shrink(fs, func(c []scenarios.Fault) bool {
		f.ShrinkRuns++
		vs, err := sp.Judge(ctx, c, cfg.Properties)
		if err != nil {
			runErr = errors.Join(runErr, err)
			return false
		}
		return same(vs)
	}, cfg.ShrinkBudget)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if runErr != nil && len(f.Minimal) == len(fs) {
		return nil, runErr
	}
	sc, err := sp.Apply(f.Minimal)
	if err != nil {
		return nil, err
	}
	if v.Kind == "non-recovery" {
		// So `tangle run` on the file fails (exit 1) for the same reason.
		cp := *sc
		cp.Checks = append(slices.Clone(sc.Checks), scenarios.MaxCheck("non_recovery", "0", v.Strategy))
		if sc, err = Reparse(&cp); err != nil {
			return nil, err
		}
	}
	res, err := scenarios.Run(ctx, sc, scenarios.Options{})
	if err != nil {
		return nil, err
	}
	f.Violations = Evaluate(res, cfg.Properties)
	f.Scenario = sc
	// Confirm minimality: without any one fault the violation is gone.
	f.Minimal1 = true
	for i := range f.Minimal {
		vs, err := sp.Judge(ctx, slices.Delete(slices.Clone(f.Minimal), i, i+1), cfg.Properties)
		if err != nil {
			return nil, err
		}
		f.ShrinkRuns++
		if same(vs) {
			f.Minimal1 = false
		}
	}
	return f, nil
}

// Select returns sc with only the named strategies (all when empty).
func Select(sc *scenarios.Scenario, names []string) (*scenarios.Scenario, error) {
	if len(names) == 0 {
		return sc, nil
	}
	cp := *sc
	cp.Strategies = nil
	for _, n := range names {
		i := slices.IndexFunc(sc.Strategies, func(s scenarios.Strategy) bool { return s.Name == n })
		if i < 0 {
			var have []string
			for _, s := range sc.Strategies {
				have = append(have, s.Name)
			}
			return nil, fmt.Errorf("unknown strategy %q; strategies are %s", n, strings.Join(have, ", "))
		}
		cp.Strategies = append(cp.Strategies, sc.Strategies[i])
	}
	// Checks on strategies left out go too.
	cp.Checks = slices.DeleteFunc(slices.Clone(sc.Checks), func(c scenarios.Check) bool {
		return c.Strategy != "" && !slices.Contains(names, c.Strategy)
	})
	return Reparse(&cp)
}

// MinimalYAML is the minimal scenario as a file: a header saying what
// failed and how to rerun it, then the scenario. rerun is the command
// line that found it.
func (f *Failure) MinimalYAML(file, rerun string) ([]byte, error) {
	src, err := f.Scenario.YAML()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Minimal failing scenario found by tangle chaos (trial %d), shrunk from %d fault%s to %d in %d runs.\n",
		f.Trial, len(f.Original), plural(len(f.Original)), len(f.Minimal), f.ShrinkRuns)
	b.WriteString("# What failed:\n")
	for _, v := range f.Violations {
		fmt.Fprintf(&b, "#   %s\n", v)
	}
	if f.Minimal1 {
		b.WriteString("# Removing any one of its faults makes that failure go away.\n")
	} else {
		b.WriteString("# Not minimal: the shrink budget ran out, or the failure happens without these faults too.\n")
	}
	fmt.Fprintf(&b, "# Found by: %s\n", rerun)
	fmt.Fprintf(&b, "# Rerun:    tangle run %s --seed %d\n", file, f.Scenario.Seed)
	b.Write(src)
	return b.Bytes(), nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// key identifies the configuration fields that change the trials.
func (c Config) key() string {
	return fmt.Sprintf("seed=%d kinds=%v max=%d strategies=%v props=%+v", c.Seed, c.Kinds, c.MaxFaults, c.Strategies, c.Properties)
}

// resume reads the trials already done from path, which must belong to
// the same search; a missing file starts from zero.
func resume(path string, want state) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var got state
	if err := json.Unmarshal(data, &got); err != nil {
		return 0, fmt.Errorf("%s: %v (delete it to start over)", path, err)
	}
	if got.Scenario != want.Scenario || got.Config != want.Config {
		return 0, fmt.Errorf("%s records another search (%s); delete it or use another output directory", path, got.Config)
	}
	return got.Done, nil
}

// save writes st to path atomically.
func save(path string, st state) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chaos-state-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
