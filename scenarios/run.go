package scenarios

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// Options change how a scenario runs without changing the scenario.
type Options struct {
	Seed         *uint64 // overrides the scenario's seed
	Replications int     // overrides the scenario's replications when > 0
	// Workers is the number of runs simulated at once, one engine per
	// goroutine; 0 means GOMAXPROCS. Results do not depend on it.
	Workers int
	// Progress, if set, is updated while the runs go (safe to read from
	// another goroutine).
	Progress *Progress
	// Budget is what the runs may cost (see Cost); nil means
	// DefaultBudget, and a zero Budget is unlimited. Run refuses a
	// scenario whose estimated cost exceeds it before simulating.
	Budget *Budget
	// Attach, if set, is called for every run after its world is built
	// and before it starts, to add observers; the function it returns is
	// called once the run has drained, and its value is kept in
	// RunResult.Attached. It is called from the worker goroutines.
	Attach func(strategy int, b *Built) func() any
	// Slots, if set, is shared by several Run calls at once (a sweep's
	// cells): each run holds one of its buffered places while it
	// simulates, so the runs of all the calls together use at most its
	// capacity of cores, and a call whose neighbours have finished gets
	// their cores. Run then starts up to cap(Slots) workers; Workers
	// still sizes the cost estimate (the call's share). Results do not
	// depend on it.
	Slots chan struct{}
}

// Progress counts the work of a run as it happens, for progress reports.
type Progress struct {
	Runs      atomic.Int64 // runs (strategy × replication) in total
	Done      atomic.Int64 // runs finished
	Events    atomic.Int64 // engine events handled, all runs
	SimTime   atomic.Int64 // simulated nanoseconds advanced, all runs
	TotalTime atomic.Int64 // simulated nanoseconds to advance, all runs
}

// Result is the outcome of running a scenario: every strategy's metrics
// across replications, and its time series.
type Result struct {
	Scenario     *Scenario
	Seed         uint64
	Replications int
	Seeds        []uint64 // per replication, shared by every strategy (common random numbers)
	Strategies   []StrategyResult
}

// StrategyResult is one strategy's outcome.
type StrategyResult struct {
	Name    string
	Routing string
	Load    string
	Params  sim.Params
	// Control names the control-plane strategies (reconciler, election,
	// rollout, flags) with their parameters as written; empty without a
	// state model.
	Control map[string]string
	// Metrics holds each metric across replications, by canonical name.
	Metrics map[string]metrics.Stat
	// Runs holds the per-replication summaries and series, in order.
	Runs []RunResult
}

// RunResult is one replication of one strategy.
type RunResult struct {
	Seed    uint64
	Summary metrics.Summary
	Series  *metrics.Series
	Faults  []faults.Window // what fired, when, on which targets
	Events  uint64
	SLOs    []metrics.SLOReport // burn-rate alert firings, per SLO
	// Audit is the routing decision audit trail, in time order (empty
	// without a routing control plane).
	Audit []routectl.AuditEntry
	// Attached is what Options.Attach's function returned (nil without).
	Attached any

	// Graph is the service graph's per-service and per-edge series (nil
	// without calls between services, or without series).
	Graph *metrics.Graph
}

// progressEvery is how many events a run handles between progress updates
// and cancellation checks.
const progressEvery = 1 << 16

// Run simulates every strategy of sc for every replication and aggregates
// the results. Replication r uses the same seed for every strategy, so the
// strategies see the same arrivals and service draws (common random
// numbers). The result is the same whatever opts.Workers is.
func Run(ctx context.Context, sc *Scenario, opts Options) (*Result, error) {
	seed := sc.Seed
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	reps := sc.Replications
	if opts.Replications > 0 {
		reps = opts.Replications
	}
	budget := DefaultBudget
	if opts.Budget != nil {
		budget = *opts.Budget
	}
	costWorkers := opts.Workers
	if costWorkers <= 0 {
		costWorkers = runtime.GOMAXPROCS(0)
	}
	cost := sc.Cost(reps, costWorkers)
	if err := cost.Check(budget, sc); err != nil {
		return nil, err
	}
	// The estimate does not see everything (a control loop with a 1µs
	// interval): a run far over it (50 times, and at least 10⁸ events, some
	// seconds) or over its share of the budget is stopped rather than left
	// to run for hours.
	var maxEvents uint64
	if budget.Events > 0 {
		runs := float64(len(sc.Strategies) * reps)
		maxEvents = uint64(min(budget.Events/runs, max(50*cost.Events/runs, 1e8)))
	}
	res := &Result{Scenario: sc, Seed: seed, Replications: reps}
	for r := 0; r < reps; r++ {
		// 53 bits, so the seed survives JSON readers that use doubles.
		res.Seeds = append(res.Seeds, sim.SubSeed(seed, uint64(r))&(1<<53-1))
	}
	nStrat := len(sc.Strategies)
	runs := make([]RunResult, nStrat*reps)
	errs := make([]error, nStrat*reps)
	prog := opts.Progress
	if prog == nil {
		prog = &Progress{}
	}
	prog.Runs.Add(int64(len(runs)))
	prog.TotalTime.Add(int64(len(runs)) * int64(sc.Duration))

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opts.Slots != nil {
		workers = max(1, cap(opts.Slots))
	}
	workers = min(workers, len(runs))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(runs) || ctx.Err() != nil {
					return
				}
				if opts.Slots != nil {
					select {
					case opts.Slots <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				s, r := k/reps, k%reps
				runs[k], errs[k] = runOne(ctx, sc, s, res.Seeds[r], prog, maxEvents, opts.Attach)
				if opts.Slots != nil {
					<-opts.Slots
				}
				prog.Done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for s := range sc.Strategies {
		st := &sc.Strategies[s]
		sr := StrategyResult{Name: st.Name, Routing: st.Routing, Load: st.Load, Params: st.params, Control: sc.ControlChoices(s), Runs: runs[s*reps : (s+1)*reps]}
		sr.Metrics = aggregate(sr.Runs)
		res.Strategies = append(res.Strategies, sr)
	}
	return res, nil
}

// runOne simulates strategy s with one replication seed.
func runOne(ctx context.Context, sc *Scenario, s int, seed uint64, prog *Progress, maxEvents uint64, attach func(int, *Built) func() any) (_ RunResult, err error) {
	defer recoverRun(sc, s, seed, &err)
	b, err := sc.Build(s, seed)
	if err != nil {
		return RunResult{}, err
	}
	var finish func() any
	if attach != nil {
		finish = attach(s, b)
	}
	w := b.World
	horizon := sc.Duration.T()
	var reported, lastEvents int64
	over := false
	w.Eng.SetProgress(progressEvery, func() bool {
		now := int64(min(w.Eng.Now(), horizon))
		prog.SimTime.Add(now - reported)
		reported = now
		ev := int64(w.Eng.Events())
		prog.Events.Add(ev - lastEvents)
		lastEvents = ev
		if maxEvents > 0 && uint64(ev) > maxEvents {
			over = true
			return false
		}
		return ctx.Err() == nil
	})
	overBudget := func() error {
		return &Error{File: sc.Source, Msg: fmt.Sprintf("strategy %s, seed %d: the run passed %d events at %v of simulated time, far more than estimated",
			sc.Strategies[s].Name, seed, maxEvents, w.Eng.Now()),
			Hint: "an interval or timeout may be much shorter than intended; pass --allow-large to run it anyway"}
	}
	w.Start(horizon)
	w.Eng.Run(horizon)
	if over {
		return RunResult{}, overBudget()
	}
	if w.Eng.Stopped() {
		return RunResult{}, fmt.Errorf("strategy %s: %w", sc.Strategies[s].Name, ctx.Err())
	}
	w.Drain(sc.Drain.T())
	if over {
		return RunResult{}, overBudget()
	}
	prog.SimTime.Add(int64(horizon) - reported)
	prog.Events.Add(int64(w.Eng.Events()) - lastEvents)
	rr := RunResult{Seed: seed, Summary: b.Summary(), Series: b.Series(), Graph: b.Recorder.Graph(), Faults: b.Faults.Windows(), Events: w.Eng.Events(), SLOs: b.SLOReports()}
	if state.Of(w) != nil {
		rr.Audit = routectl.Of(w).Audit()
	}
	if finish != nil {
		rr.Attached = finish()
	}
	return rr, nil
}

// aggregate turns per-replication summaries into per-metric statistics.
func aggregate(runs []RunResult) map[string]metrics.Stat {
	var names []string
	for name := range runs[0].Summary {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(map[string]metrics.Stat, len(names))
	for _, name := range names {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = r.Summary[name]
		}
		out[name] = metrics.Aggregate(xs)
	}
	return out
}
