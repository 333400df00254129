package sweep

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

// Options change how a sweep runs, not its results.
type Options struct {
	// Workers is the number of runs simulated at once; 0 means GOMAXPROCS.
	Workers int
	// Budget is what each cell's runs may cost (see scenarios.Options).
	Budget *scenarios.Budget
	// Progress, if set, is updated while the cells run.
	Progress *Progress
	// Resumed, if set, is called once before running with the number of
	// cells already in the directory and the number to run.
	Resumed func(done, pending int)
}

// Progress counts a sweep's work as it happens (safe to read from another
// goroutine): the runs' progress, and cells and runs in total.
type Progress struct {
	scenarios.Progress
	Cells     atomic.Int64 // cells to run
	CellsDone atomic.Int64 // cells finished
	AllRuns   atomic.Int64 // runs of every cell to run
	AllTime   atomic.Int64 // simulated nanoseconds of every run to run
}

// Interrupted is returned when ctx ends a sweep early; the cells finished
// so far are saved in Dir (when there is one).
type Interrupted struct {
	Dir       string
	Saved, Of int
	Err       error
}

func (e *Interrupted) Error() string {
	msg := "interrupted"
	if e.Dir != "" {
		msg += fmt.Sprintf("; %d of %d cells are saved in %s: run the same command again to continue", e.Saved, e.Of, e.Dir)
	}
	return msg
}

func (e *Interrupted) Unwrap() error { return e.Err }

// runCell runs cell i (scenario sc) and saves it in dir. A panic (a bug)
// comes back as a *scenarios.InternalError rather than ending the process
// from this goroutine.
func (pl *Plan) runCell(ctx context.Context, sc *scenarios.Scenario, i int, dir string, out *reports.SweepCell, workers int, slots chan struct{}, budget *scenarios.Budget, prog *Progress) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &scenarios.InternalError{Scenario: sc.Name, Strategy: pl.Strategies[i%len(pl.Strategies)], Seed: pl.Seed, Value: r, Stack: debug.Stack()}
		}
	}()
	ro := scenarios.Options{Seed: &pl.Seed, Replications: pl.Replications, Workers: workers, Slots: slots, Progress: &prog.Progress, Budget: budget}
	res, err := scenarios.Run(ctx, sc, ro)
	if err != nil {
		return err
	}
	*out = pl.Cell(i, res)
	if dir != "" {
		if err := writeJSON(cellPath(dir, i), *out); err != nil {
			return err
		}
	}
	prog.CellsDone.Add(1)
	return nil
}

// Run runs the plan's cells of its shard that are not already in dir, in
// parallel, persisting each in dir as it completes (dir may be "": nothing
// is saved), and returns the document of every cell of the shard. It holds
// dir locked while it runs.
func Run(ctx context.Context, pl *Plan, dir string, opts Options) (*reports.SweepDoc, error) {
	done := map[int]reports.SweepCell{}
	if dir != "" {
		d, unlock, err := Resume(dir, pl)
		if err != nil {
			return nil, err
		}
		defer unlock()
		done = d
	}
	var pending []int
	for i := 0; i < pl.Cells; i++ {
		if _, ok := done[i]; !ok && pl.Shard.Has(i) {
			pending = append(pending, i)
		}
	}
	if opts.Resumed != nil && len(done) > 0 {
		opts.Resumed(len(done), len(pending))
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cellWorkers := max(1, min(workers, len(pending)))
	runWorkers := max(1, workers/cellWorkers) // each cell's share, for its cost estimate
	// The runs of every cell in flight share workers slots, so the last
	// cell's replications use the cores earlier cells have left.
	slots := make(chan struct{}, workers)
	prog := opts.Progress
	if prog == nil {
		prog = &Progress{}
	}
	scs := make([]*scenarios.Scenario, len(pending))
	for k, i := range pending {
		sc, err := pl.CellScenario(i)
		if err != nil {
			return nil, err
		}
		scs[k] = sc
		prog.AllRuns.Add(int64(pl.Replications))
		prog.AllTime.Add(int64(pl.Replications) * int64(sc.Duration))
	}
	prog.Cells.Store(int64(len(pending)))
	results := make([]reports.SweepCell, len(pending))
	errs := make([]error, len(pending))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range cellWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(pending) || ctx.Err() != nil {
					return
				}
				errs[k] = pl.runCell(ctx, scs[k], pending[k], dir, &results[k], runWorkers, slots, opts.Budget, prog)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, &Interrupted{Dir: dir, Saved: len(done) + int(prog.CellsDone.Load()), Of: len(done) + len(pending), Err: ctx.Err()}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for k, i := range pending {
		done[i] = results[k]
	}
	var cells []reports.SweepCell
	for i := 0; i < pl.Cells; i++ {
		if c, ok := done[i]; ok {
			cells = append(cells, c)
		}
	}
	return pl.Doc(cells), nil
}
