package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

var sweepCmd = &command{
	name:    "sweep",
	summary: "Run a scenario over a grid of parameter values × seeds in parallel and rank the configurations.",
	usage:   "[flags] FILE | BUILTIN",
	examples: `  tangle sweep my.yaml --param topology.telemetry.interval=1s,5s,10s \
      --param 'topology.services[api].replicas=4..8/2' --replications 5 \
      --objective minimize:latency_p99 --constraint 'route_success_rate>=99%'
  tangle sweep my.yaml --param a=1,2,3 --param b=x,y,z --zip        # 3 cells, not 9
  tangle sweep my.yaml --param … --dry-run                          # check every cell, run nothing
  tangle sweep my.yaml --param … --out sweep/                       # resumable: rerun to continue
  tangle sweep my.yaml --param … --out shard-0 --shard 0/4          # one of four machines
  tangle sweep my.yaml --param … --out shard --shard auto/4         # index from $JOB_COMPLETION_INDEX
  tangle merge shard-0 shard-1 shard-2 shard-3 --out sweep/`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		rf := addRunFlags(fs)
		var params, cons []string
		fs.StringArrayVar(&params, "param", nil, "a swept value: path=v1,v2,… or path=lo..hi/step (repeatable; paths as --set)")
		zip := fs.Bool("zip", false, "take the i-th value of every --param together instead of every combination")
		objective := fs.String("objective", "route_success_rate", "rank by this metric: minimize:METRIC, maximize:METRIC, or METRIC in its better direction")
		fs.StringArrayVar(&cons, "constraint", nil, "a cell is feasible only if METRIC<=X (or >=, <, >) holds on its mean (repeatable)")
		out := fs.String("out", "", "persist each cell in this directory as it completes; a rerun continues from completed cells")
		shard := fs.String("shard", "", "run only shard i of n (every n-th cell from i): i/n, or auto/n to read i from $JOB_COMPLETION_INDEX")
		asJSON := fs.Bool("json", false, "print the sweep JSON on stdout instead of the table")
		top := fs.Int("top", 20, "rows of the ranked table (0: all)")
		dry := fs.Bool("dry-run", false, "check every cell's scenario and print the plan (cells, runs, their parameter values) without running it")
		return func(args []string) error {
			if len(args) != 1 {
				return usagef("tangle sweep: expected one scenario file or built-in name, got %d arguments", len(args))
			}
			obj, err := reports.ParseObjective(*objective)
			if err != nil {
				return usagef("tangle sweep: --objective: %v", err)
			}
			var constraints []reports.Constraint
			for _, c := range cons {
				k, err := reports.ParseConstraint(c)
				if err != nil {
					return usagef("tangle sweep: --constraint: %v", err)
				}
				constraints = append(constraints, k)
			}
			sh, err := parseShard(*shard, os.Getenv)
			if err != nil {
				return usagef("tangle sweep: --shard: %v", err)
			}
			pl, err := planSweep(args[0], rf, params, *zip, sh)
			if err != nil {
				return err
			}
			pl.Objective, pl.Constraints = obj.Flag(), flagsOf(constraints)
			if *dry {
				pl.printPlan(a.stdout)
				return nil
			}
			ctx, stop := interruptible()
			defer stop()
			doc, err := a.sweep(ctx, pl, *out, rf)
			if err != nil {
				return err
			}
			if err := reports.Rank(doc, obj, constraints); err != nil {
				return usagef("tangle sweep: %v", err)
			}
			return a.finishSweep(doc, obj, constraints, *out, *asJSON, *top)
		}
	},
}

var mergeCmd = &command{
	name:    "merge",
	summary: "Combine the output directories of a sharded sweep into one sweep, identical to an unsharded run.",
	usage:   "[flags] DIR...",
	examples: `  tangle merge shard-0 shard-1 shard-2 shard-3 --out sweep/
  tangle merge results/shard-* --json > sweep.json`,
	setup: func(a *app, fs *pflag.FlagSet) func([]string) error {
		out := fs.String("out", "", "write the merged sweep.json (and plan.json) into this directory")
		asJSON := fs.Bool("json", false, "print the sweep JSON on stdout instead of the table")
		top := fs.Int("top", 20, "rows of the ranked table (0: all)")
		return func(dirs []string) error {
			if len(dirs) == 0 {
				return usagef("tangle merge: name the output directories of the shards")
			}
			pl, cells, err := mergeShards(dirs)
			if err != nil {
				return err
			}
			obj, err := reports.ParseObjective(pl.Objective)
			if err != nil {
				return usagef("tangle merge: %v", err)
			}
			var constraints []reports.Constraint
			for _, c := range pl.Constraints {
				k, err := reports.ParseConstraint(c)
				if err != nil {
					return usagef("tangle merge: %v", err)
				}
				constraints = append(constraints, k)
			}
			pl.Shard = shardSpec{Index: 0, Count: 1}
			doc := pl.doc(cells)
			if err := reports.Rank(doc, obj, constraints); err != nil {
				return usagef("tangle merge: %v", err)
			}
			if *out != "" {
				// The directory an unsharded sweep would have written:
				// the plan, every cell, and sweep.json.
				if err := writeJSONFile(filepath.Join(*out, "plan.json"), pl); err != nil {
					return err
				}
				for _, c := range cells {
					if err := writeJSONFile(cellPath(*out, c.Index), c); err != nil {
						return err
					}
				}
			}
			return a.finishSweep(doc, obj, constraints, *out, *asJSON, *top)
		}
	},
}

// shardSpec selects every Count-th cell starting at Index.
type shardSpec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s shardSpec) has(cell int) bool { return cell%s.Count == s.Index }

// parseShard reads i/n or auto/n (i from $JOB_COMPLETION_INDEX, which a
// Kubernetes Indexed Job sets in every pod).
func parseShard(s string, getenv func(string) string) (shardSpec, error) {
	if s == "" {
		return shardSpec{Index: 0, Count: 1}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return shardSpec{}, fmt.Errorf("expected i/n with 0 ≤ i < n, or auto/n, got %q", s)
	}
	if is == "auto" {
		is = getenv("JOB_COMPLETION_INDEX")
		if is == "" {
			return shardSpec{}, fmt.Errorf("auto/%d reads the shard index from $JOB_COMPLETION_INDEX, which is not set", n)
		}
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return shardSpec{}, fmt.Errorf("shard index %q must be a whole number in [0, %d)", is, n)
	}
	return shardSpec{Index: i, Count: n}, nil
}

// sweepPlan is what determines a sweep's cells and their results. It is
// saved as plan.json in --out; a rerun into the same directory must have
// the same plan (apart from the ranking, which is recomputed), and merged
// shards must agree on everything but the shard index.
type sweepPlan struct {
	SchemaVersion int                    `json:"schema_version"`
	Kind          string                 `json:"kind"` // "sweep-plan"
	Arg           string                 `json:"arg"`  // the scenario as named on the command line
	Scenario      reports.ScenarioInfo   `json:"scenario"`
	Params        []scenarios.SweepParam `json:"params"`
	Zip           bool                   `json:"zip"`
	Strategies    []string               `json:"strategies"`   // swept strategies, in order
	Seed          uint64                 `json:"seed"`         // --seed or the scenario's
	Replications  int                    `json:"replications"` // --replications or the scenario's
	Cells         int                    `json:"cells"`
	Shard         shardSpec              `json:"shard"`
	// The ranking: not part of the identity.
	Objective   string   `json:"objective"`
	Constraints []string `json:"constraints"`

	combos   [][]string
	scenario *scenarios.Scenario // with --set applied, every strategy
	sets     []scenarios.Override
}

func flagsOf(cs []reports.Constraint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Flag())
	}
	return out
}

// identity is the plan without its ranking, as JSON.
func (p *sweepPlan) identity() []byte {
	q := *p
	q.Objective, q.Constraints = "", nil
	b, _ := json.Marshal(q)
	return b
}

// planSweep loads the scenario and lists the cells: every combination of
// parameter values × every selected strategy (the strategy varies
// fastest). Every cell's scenario is parsed now, so a bad value stops the
// sweep before anything runs.
func planSweep(arg string, rf *runFlags, params []string, zip bool, sh shardSpec) (*sweepPlan, error) {
	if len(params) == 0 {
		return nil, usagef("tangle sweep: name at least one --param path=v1,v2,… or path=lo..hi/step")
	}
	if err := rf.check("sweep"); err != nil {
		return nil, err
	}
	sets, err := rf.overrides("sweep")
	if err != nil {
		return nil, err
	}
	sc, err := openScenario(arg, sets...)
	if err != nil {
		return nil, err
	}
	sc, err = selectStrategies("sweep", sc, rf.strategies)
	if err != nil {
		return nil, err
	}
	pl := &sweepPlan{SchemaVersion: reports.SchemaVersion, Kind: "sweep-plan", Arg: arg, Zip: zip, Seed: sc.Seed, Replications: sc.Replications, Shard: sh, scenario: sc, sets: sets}
	pl.Scenario = reports.ScenarioInfo{Name: sc.Name, Description: sc.Description, Source: sc.Source, SHA256: sc.Hash, Overrides: []string{}}
	for _, o := range sets {
		pl.Scenario.Overrides = append(pl.Scenario.Overrides, o.Arg())
	}
	if rf.fs.Changed("seed") {
		pl.Seed = rf.seed
	}
	if rf.reps > 0 {
		pl.Replications = rf.reps
	}
	for _, s := range sc.Strategies {
		pl.Strategies = append(pl.Strategies, s.Name)
	}
	for _, p := range params {
		sp, err := scenarios.ParseSweepParam(p)
		if err != nil {
			return nil, usagef("tangle sweep: --param %v", err)
		}
		if sp.Path == "seed" || sp.Path == "replications" {
			return nil, usagef("tangle sweep: --param %s: every cell runs the same seeds (common random numbers); set them with --seed and --replications", sp.Path)
		}
		if slices.ContainsFunc(pl.Params, func(q scenarios.SweepParam) bool { return q.Path == sp.Path }) {
			return nil, usagef("tangle sweep: --param %s is given twice", sp.Path)
		}
		pl.Params = append(pl.Params, sp)
	}
	if pl.combos, err = scenarios.SweepGrid(pl.Params, zip); err != nil {
		return nil, usagef("tangle sweep: %v", err)
	}
	pl.Cells = len(pl.combos) * len(pl.Strategies)
	for k := range pl.combos {
		if _, err := pl.cellScenario(k * len(pl.Strategies)); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// printPlan writes what the sweep would run: every cell of this shard
// with its strategy and parameter values, and the totals.
func (p *sweepPlan) printPlan(w io.Writer) {
	runs := 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "cell\tstrategy")
	for _, q := range p.Params {
		fmt.Fprintf(tw, "\t%s", q.Path)
	}
	fmt.Fprintln(tw)
	for i := 0; i < p.Cells; i++ {
		if !p.Shard.has(i) {
			continue
		}
		runs += p.Replications
		fmt.Fprintf(tw, "%d\t%s", i, p.Strategies[i%len(p.Strategies)])
		for _, v := range p.combos[i/len(p.Strategies)] {
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	shard := ""
	if p.Shard.Count > 1 {
		shard = fmt.Sprintf(" (shard %d/%d)", p.Shard.Index, p.Shard.Count)
	}
	fmt.Fprintf(w, "\n%s: %d of %d cells%s × %d replications = %d runs, seed %d; objective %s", p.Scenario.Name, runs/max(p.Replications, 1), p.Cells, shard, p.Replications, runs, p.Seed, p.Objective)
	if len(p.Constraints) > 0 {
		fmt.Fprintf(w, " subject to %s", strings.Join(p.Constraints, ", "))
	}
	fmt.Fprintln(w, "\nevery cell's scenario is valid; run without --dry-run to simulate them")
}

// cellOverrides are cell i's parameter values as overrides.
func (p *sweepPlan) cellOverrides(i int) []scenarios.Override {
	var out []scenarios.Override
	for j, v := range p.combos[i/len(p.Strategies)] {
		out = append(out, scenarios.Override{Path: p.Params[j].Path, Value: v, Flag: "--param"})
	}
	return out
}

// cellScenario is cell i's scenario: the file with --set and the cell's
// parameter values applied, and only the cell's strategy.
func (p *sweepPlan) cellScenario(i int) (*scenarios.Scenario, error) {
	sets := append(slices.Clone(p.sets), p.cellOverrides(i)...)
	sc, err := openScenario(p.Arg, sets...)
	if err != nil {
		return nil, err
	}
	return selectStrategies("sweep", sc, []string{p.Strategies[i%len(p.Strategies)]})
}

// rerun is the command that repeats the whole sweep (without --out and
// --shard, which do not change its results).
func (p *sweepPlan) rerun() string {
	var b strings.Builder
	b.WriteString("tangle sweep " + shellQuote(p.Arg))
	for _, o := range p.Scenario.Overrides {
		b.WriteString(" --set " + shellQuote(o))
	}
	for _, sp := range p.Params {
		b.WriteString(" --param " + shellQuote(sp.Path+"="+strings.Join(sp.Values, ",")))
	}
	if p.Zip {
		b.WriteString(" --zip")
	}
	b.WriteString(" --strategies " + shellQuote(strings.Join(p.Strategies, ",")))
	fmt.Fprintf(&b, " --seed %d --replications %d", p.Seed, p.Replications)
	b.WriteString(" --objective " + shellQuote(p.Objective))
	for _, c := range p.Constraints {
		b.WriteString(" --constraint " + shellQuote(c))
	}
	return b.String()
}

// cellRerun is the `tangle run` command that reruns cell c alone.
func (p *sweepPlan) cellRerun(i int, res *scenarios.Result) string {
	sc := *res.Scenario
	sc.Overrides = append(slices.Clone(p.sets), p.cellOverrides(i)...)
	return "tangle run " + shellQuote(p.Arg) + rerunArgs(&sc, []string{p.Strategies[i%len(p.Strategies)]}, res.Seed, res.Replications)
}

// doc assembles the sweep document from completed cells (sorted by index).
func (p *sweepPlan) doc(cells []reports.SweepCell) *reports.SweepDoc {
	d := &reports.SweepDoc{
		SchemaVersion: reports.SchemaVersion, Kind: "sweep",
		Tool:     reports.Tool{Name: "tangle", Version: version, Go: runtime.Version()},
		Scenario: p.Scenario, Seed: p.Seed, Replications: p.Replications, Cells: slices.Clone(cells), Rerun: p.rerun(), Zip: p.Zip, TotalCells: p.Cells,
		Constraints: []string{},
	}
	for _, sp := range p.Params {
		d.Params = append(d.Params, sp.Path)
	}
	if p.Shard.Count > 1 {
		d.Shard = fmt.Sprintf("%d/%d", p.Shard.Index, p.Shard.Count)
	}
	return d
}

// sweep runs the plan's cells of this shard that are not already in dir,
// in parallel, persisting each as it completes, and returns the document
// of every cell of the shard.
func (a *app) sweep(ctx context.Context, pl *sweepPlan, dir string, rf *runFlags) (*reports.SweepDoc, error) {
	done := map[int]reports.SweepCell{}
	if dir != "" {
		var err error
		if done, err = resumeSweep(dir, pl); err != nil {
			return nil, err
		}
	}
	var pending []int
	for i := 0; i < pl.Cells; i++ {
		if _, ok := done[i]; !ok && pl.Shard.has(i) {
			pending = append(pending, i)
		}
	}
	if len(done) > 0 && !rf.quiet {
		fmt.Fprintf(a.stderr, "%s: %d cell%s already done in %s, %d to run\n", pl.scenario.Name, len(done), plural(len(done)), dir, len(pending))
	}
	workers := rf.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cellWorkers := max(1, min(workers, len(pending)))
	runWorkers := max(1, workers/cellWorkers)

	prog := &scenarios.Progress{}
	var cellsDone atomic.Int64
	var total progressSnapshot
	scs := make([]*scenarios.Scenario, len(pending))
	for k, i := range pending {
		sc, err := pl.cellScenario(i)
		if err != nil {
			return nil, err
		}
		scs[k] = sc
		total.runs += int64(pl.Replications)
		total.totalT += int64(pl.Replications) * int64(sc.Duration)
	}
	stop := a.showProgress(pl.scenario.Name, func() progressSnapshot {
		s := snapshotOf(prog)
		s.cells, s.cellsDone = int64(len(pending)), cellsDone.Load()
		s.runs, s.totalT = total.runs, total.totalT
		return s
	}, rf.quiet)
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
				opts := scenarios.Options{Seed: &pl.Seed, Replications: pl.Replications, Workers: runWorkers, Progress: prog, Budget: rf.budget()}
				res, err := scenarios.Run(ctx, scs[k], opts)
				if err != nil {
					errs[k] = err
					continue
				}
				results[k] = pl.cell(pending[k], res)
				if dir != "" {
					errs[k] = writeJSONFile(cellPath(dir, pending[k]), results[k])
				}
				cellsDone.Add(1)
			}
		}()
	}
	wg.Wait()
	stop()
	if ctx.Err() != nil {
		msg := "tangle sweep: interrupted"
		if dir != "" {
			msg += fmt.Sprintf("; %d of %d cells are saved in %s: run the same command again to continue", len(done)+int(cellsDone.Load()), len(done)+len(pending), dir)
		}
		return nil, usagef("%s", msg)
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
	return pl.doc(cells), nil
}

// cell is the document of cell i from its result.
func (p *sweepPlan) cell(i int, res *scenarios.Result) reports.SweepCell {
	summary := reports.NewSummary(res, reports.Meta{Version: version})
	c := reports.SweepCell{
		Index: i, Values: map[string]string{}, Strategy: p.Strategies[i%len(p.Strategies)],
		Metrics: summary.Strategies[0].Metrics, Rerun: p.cellRerun(i, res), Seeds: res.Seeds, Verdict: summary.Verdict,
	}
	for j, v := range p.combos[i/len(p.Strategies)] {
		c.Values[p.Params[j].Path] = v
	}
	return c
}

func cellPath(dir string, i int) string {
	return filepath.Join(dir, "cells", fmt.Sprintf("cell-%06d.json", i))
}

// resumeSweep prepares dir for the plan: it saves the plan in a new
// directory, or checks an existing one holds the same sweep, and returns
// the cells it already holds.
func resumeSweep(dir string, pl *sweepPlan) (map[int]reports.SweepCell, error) {
	done := map[int]reports.SweepCell{}
	prev, err := readPlan(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if why := planDiff(prev, pl); why != "" {
			return nil, usagef("tangle sweep: %s holds a different sweep (%s); use another --out directory, or delete it to start again", dir, why)
		}
		cells, err := readCells(dir)
		if err != nil {
			return nil, err
		}
		for _, c := range cells {
			if pl.Shard.has(c.Index) {
				done[c.Index] = c
			}
		}
	}
	return done, writeJSONFile(filepath.Join(dir, "plan.json"), pl)
}

// planDiff names the first difference between two plans' identities, or
// returns "" when they run the same cells the same way.
func planDiff(a, b *sweepPlan) string {
	switch {
	case a.Scenario.SHA256 != b.Scenario.SHA256:
		return "the scenario file changed"
	case !slices.Equal(a.Scenario.Overrides, b.Scenario.Overrides):
		return "different --set values"
	case !slices.EqualFunc(a.Params, b.Params, func(x, y scenarios.SweepParam) bool {
		return x.Path == y.Path && slices.Equal(x.Values, y.Values)
	}) || a.Zip != b.Zip:
		return "different --param values"
	case !slices.Equal(a.Strategies, b.Strategies):
		return "different strategies"
	case a.Seed != b.Seed:
		return "a different seed"
	case a.Replications != b.Replications:
		return "different replications"
	case a.Shard != b.Shard:
		return "a different shard"
	case !bytes.Equal(a.identity(), b.identity()):
		return "a different plan"
	}
	return ""
}

func readPlan(dir string) (*sweepPlan, error) {
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		return nil, err
	}
	var p sweepPlan
	if err := json.Unmarshal(b, &p); err != nil || p.Kind != "sweep-plan" {
		return nil, usagef("%s: not a tangle sweep directory (plan.json unreadable)", dir)
	}
	if p.SchemaVersion != reports.SchemaVersion {
		return nil, usagef("%s: sweep schema version %d; this tangle reads %d", dir, p.SchemaVersion, reports.SchemaVersion)
	}
	return &p, nil
}

func readCells(dir string) ([]reports.SweepCell, error) {
	names, err := filepath.Glob(filepath.Join(dir, "cells", "cell-*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []reports.SweepCell
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var c reports.SweepCell
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, usagef("%s: unreadable cell: %v", n, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// mergeShards reads the shards' directories, checks they are shards of
// one sweep that together hold every cell exactly once, and returns the
// plan and the cells in grid order.
func mergeShards(dirs []string) (*sweepPlan, []reports.SweepCell, error) {
	var first *sweepPlan
	cells := map[int]reports.SweepCell{}
	from := map[int]string{}
	seen := map[int]string{}
	for _, dir := range dirs {
		p, err := readPlan(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, usagef("tangle merge: %s has no plan.json: is it the --out directory of a sweep shard?", dir)
			}
			return nil, nil, err
		}
		if first == nil {
			first = p
		} else {
			q := *p
			q.Shard = first.Shard
			if why := planDiff(first, &q); why != "" {
				return nil, nil, usagef("tangle merge: %s and %s are not shards of one sweep (%s)", dirs[0], dir, why)
			}
			if p.Objective != first.Objective || !slices.Equal(p.Constraints, first.Constraints) {
				return nil, nil, usagef("tangle merge: %s and %s rank differently (objective or constraints)", dirs[0], dir)
			}
			if p.Shard.Count != first.Shard.Count {
				return nil, nil, usagef("tangle merge: %s is shard %d/%d but %s is of %d shards", dir, p.Shard.Index, p.Shard.Count, dirs[0], first.Shard.Count)
			}
		}
		if other, dup := seen[p.Shard.Index]; dup {
			return nil, nil, usagef("tangle merge: %s and %s are both shard %d/%d", other, dir, p.Shard.Index, p.Shard.Count)
		}
		seen[p.Shard.Index] = dir
		cs, err := readCells(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			if other, dup := from[c.Index]; dup {
				return nil, nil, usagef("tangle merge: cell %d is in both %s and %s", c.Index, other, dir)
			}
			cells[c.Index], from[c.Index] = c, dir
		}
	}
	var missing []string
	var out []reports.SweepCell
	for i := 0; i < first.Cells; i++ {
		c, ok := cells[i]
		if !ok {
			missing = append(missing, strconv.Itoa(i))
			continue
		}
		out = append(out, c)
	}
	if len(missing) > 0 {
		shards := ""
		if len(seen) < first.Shard.Count {
			shards = fmt.Sprintf(" (%d of %d shards given)", len(seen), first.Shard.Count)
		}
		if len(missing) > 10 {
			missing = append(missing[:10], "…")
		}
		return nil, nil, usagef("tangle merge: %d of %d cells are missing%s: %s; finish the shards (rerun them with the same --out) and merge again", first.Cells-len(out), first.Cells, shards, strings.Join(missing, ", "))
	}
	// The scenario is named as shard 0 named it, for a stable document.
	return first, out, nil
}

// finishSweep writes the sweep document into dir (when given) and prints
// the ranked table or the JSON.
func (a *app) finishSweep(doc *reports.SweepDoc, obj reports.Objective, cons []reports.Constraint, dir string, asJSON bool, top int) error {
	if dir != "" {
		if err := writeJSONFile(filepath.Join(dir, "sweep.json"), doc); err != nil {
			return err
		}
	}
	if asJSON {
		return reports.WriteJSON(a.stdout, doc)
	}
	if err := reports.WriteSweepTable(a.stdout, doc, obj, cons, top); err != nil {
		return err
	}
	if dir != "" {
		fmt.Fprintf(a.stdout, "sweep written to %s\n", filepath.Join(dir, "sweep.json"))
	}
	if doc.Shard != "" {
		fmt.Fprintf(a.stdout, "this is shard %s: combine the shards' directories with tangle merge\n", doc.Shard)
	}
	return nil
}

// writeJSONFile writes v as indented JSON, atomically.
func writeJSONFile(path string, v any) error {
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, v); err != nil {
		return err
	}
	return reports.WriteFileAtomic(path, buf.Bytes())
}
