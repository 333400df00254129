package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

// Error is a problem with a sweep's inputs, flags or directories (not a
// bug): commands report it as bad usage.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Shard selects every Count-th cell starting at Index.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Has reports whether cell belongs to the shard.
func (s Shard) Has(cell int) bool { return cell%s.Count == s.Index }

// ParseShard reads i/n or auto/n (i from $JOB_COMPLETION_INDEX, which a
// Kubernetes Indexed Job sets in every pod); "" is the whole sweep.
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if s == "" {
		return Shard{Index: 0, Count: 1}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return Shard{}, fmt.Errorf("expected i/n with 0 ≤ i < n, or auto/n, got %q", s)
	}
	if is == "auto" {
		is = getenv("JOB_COMPLETION_INDEX")
		if is == "" {
			return Shard{}, fmt.Errorf("auto/%d reads the shard index from $JOB_COMPLETION_INDEX, which is not set", n)
		}
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard index %q must be a whole number in [0, %d)", is, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// Spec is what a sweep is asked to do, as the command line gives it.
type Spec struct {
	Arg          string               // the scenario: a file or a built-in name
	Sets         []scenarios.Override // --set, applied to every cell
	Strategies   []string             // the strategies swept; none: all
	Seed         *uint64              // nil: the scenario's
	Replications int                  // 0: the scenario's
	Params       []string             // each path=v1,v2,… or path=lo..hi/step
	Zip          bool                 // the i-th values together instead of every combination
	Shard        Shard                // zero: the whole sweep
	Objective    string               // the ranking, recorded in the plan
	Constraints  []string             // the ranking's constraints, recorded in the plan
	Version      string               // the tool's version, written in documents
	// Budget is what each cell's runs may cost (nil: scenarios.DefaultBudget,
	// a zero Budget: unlimited); NewPlan refuses a plan with a cell over it.
	Budget *scenarios.Budget
}

// Plan is what determines a sweep's cells and their results. It is saved
// as plan.json in a sweep's directory; a rerun into the same directory
// must have the same plan (apart from the ranking, which is recomputed),
// and merged shards must agree on everything but the shard index.
type Plan struct {
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
	Shard         Shard                  `json:"shard"`
	// The ranking: not part of the identity.
	Objective   string   `json:"objective"`
	Constraints []string `json:"constraints"`

	// Version is the tool's version, written in the documents.
	Version string `json:"-"`

	combos   [][]string
	scenario *scenarios.Scenario // with --set applied, every strategy
	sets     []scenarios.Override
}

// Swept is the swept scenario with --set applied and the selected
// strategies (nil for a plan read from a directory).
func (p *Plan) Swept() *scenarios.Scenario { return p.scenario }

// grid lists the plan's combinations of values, computing them for a
// plan read from a directory.
func (p *Plan) grid() [][]string {
	if p.combos == nil {
		p.combos, _ = scenarios.SweepGrid(p.Params, p.Zip)
	}
	return p.combos
}

// NewPlan loads the scenario and lists the cells: every combination of
// parameter values × every selected strategy (the strategy varies
// fastest). Every cell's scenario is parsed now, so a bad value stops the
// sweep before anything runs.
func NewPlan(spec Spec) (*Plan, error) {
	if len(spec.Params) == 0 {
		return nil, errorf("name at least one --param path=v1,v2,… or path=lo..hi/step")
	}
	if spec.Shard.Count == 0 {
		spec.Shard = Shard{Index: 0, Count: 1}
	}
	sc, err := scenarios.Open(spec.Arg, spec.Sets...)
	if err != nil {
		return nil, err
	}
	if sc, err = sc.Select(spec.Strategies); err != nil {
		return nil, errorf("--strategies: %v", err)
	}
	pl := &Plan{SchemaVersion: reports.SchemaVersion, Kind: "sweep-plan", Arg: spec.Arg, Zip: spec.Zip, Seed: sc.Seed, Replications: sc.Replications,
		Shard: spec.Shard, Objective: spec.Objective, Constraints: slices.Clone(spec.Constraints), Version: spec.Version, scenario: sc, sets: spec.Sets}
	if pl.Constraints == nil {
		pl.Constraints = []string{}
	}
	pl.Scenario = reports.ScenarioInfo{Name: sc.Name, Description: sc.Description, Source: sc.Source, SHA256: sc.Hash, Overrides: []string{}}
	for _, o := range spec.Sets {
		pl.Scenario.Overrides = append(pl.Scenario.Overrides, o.Arg())
	}
	if spec.Seed != nil {
		pl.Seed = *spec.Seed
	}
	if spec.Replications > 0 {
		pl.Replications = spec.Replications
	}
	for _, s := range sc.Strategies {
		pl.Strategies = append(pl.Strategies, s.Name)
	}
	for _, p := range spec.Params {
		sp, err := scenarios.ParseSweepParam(p)
		if err != nil {
			return nil, errorf("--param %v", err)
		}
		if sp.Path == "seed" || sp.Path == "replications" {
			return nil, errorf("--param %s: every cell runs the same seeds (common random numbers); set them with --seed and --replications", sp.Path)
		}
		if slices.ContainsFunc(pl.Params, func(q scenarios.SweepParam) bool { return q.Path == sp.Path }) {
			return nil, errorf("--param %s is given twice", sp.Path)
		}
		pl.Params = append(pl.Params, sp)
	}
	if pl.combos, err = scenarios.SweepGrid(pl.Params, spec.Zip); err != nil {
		return nil, errorf("%v", err)
	}
	pl.Cells = len(pl.combos) * len(pl.Strategies)
	budget := scenarios.DefaultBudget
	if spec.Budget != nil {
		budget = *spec.Budget
	}
	for k := range pl.combos {
		sc, err := pl.CellScenario(k * len(pl.Strategies))
		if err != nil {
			return nil, err
		}
		if err := sc.Cost(pl.Replications, 1).Check(budget, sc); err != nil {
			return nil, errorf("cell %d (%s): %v", k*len(pl.Strategies), strings.Join(pl.combos[k], ", "), err)
		}
	}
	return pl, nil
}

// identity is the plan without its ranking, as JSON.
func (p *Plan) identity() []byte {
	q := *p
	q.Objective, q.Constraints = "", nil
	b, _ := json.Marshal(q)
	return b
}

// PrintPlan writes what the sweep would run: every cell of this shard
// with its strategy and parameter values, and the totals.
func (p *Plan) PrintPlan(w io.Writer) {
	runs := 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "cell\tstrategy")
	for _, q := range p.Params {
		fmt.Fprintf(tw, "\t%s", q.Path)
	}
	fmt.Fprintln(tw)
	for i := 0; i < p.Cells; i++ {
		if !p.Shard.Has(i) {
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
func (p *Plan) cellOverrides(i int) []scenarios.Override {
	var out []scenarios.Override
	for j, v := range p.grid()[i/len(p.Strategies)] {
		out = append(out, scenarios.Override{Path: p.Params[j].Path, Value: v, Flag: "--param"})
	}
	return out
}

// CellScenario is cell i's scenario: the file with --set and the cell's
// parameter values applied, and only the cell's strategy.
func (p *Plan) CellScenario(i int) (*scenarios.Scenario, error) {
	sets := append(slices.Clone(p.sets), p.cellOverrides(i)...)
	sc, err := scenarios.Open(p.Arg, sets...)
	if err != nil {
		return nil, err
	}
	return sc.Select([]string{p.Strategies[i%len(p.Strategies)]})
}

// CellHash is the SHA-256 of what determines cell i's result: the
// scenario's bytes, every override (--set and the cell's values), its
// strategy, the seed and the replications. A cell stored with another
// hash belongs to another sweep.
func (p *Plan) CellHash(i int) string {
	h := sha256.New()
	fmt.Fprintf(h, "tangle sweep cell\x00%s\x00%s\x00%d\x00%d\x00", p.Scenario.SHA256, p.Strategies[i%len(p.Strategies)], p.Seed, p.Replications)
	for _, o := range p.Scenario.Overrides {
		fmt.Fprintf(h, "set\x00%s\x00", o)
	}
	for _, o := range p.cellOverrides(i) {
		fmt.Fprintf(h, "param\x00%s\x00", o.Arg())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Rerun is the command that repeats the whole sweep (without --out and
// --shard, which do not change its results).
func (p *Plan) Rerun() string {
	q := scenarios.ShellQuote
	var b strings.Builder
	b.WriteString("tangle sweep " + q(p.Arg))
	for _, o := range p.Scenario.Overrides {
		b.WriteString(" --set " + q(o))
	}
	for _, sp := range p.Params {
		b.WriteString(" --param " + q(sp.Path+"="+strings.Join(sp.Values, ",")))
	}
	if p.Zip {
		b.WriteString(" --zip")
	}
	b.WriteString(" --strategies " + q(strings.Join(p.Strategies, ",")))
	fmt.Fprintf(&b, " --seed %d --replications %d", p.Seed, p.Replications)
	b.WriteString(" --objective " + q(p.Objective))
	for _, c := range p.Constraints {
		b.WriteString(" --constraint " + q(c))
	}
	return b.String()
}

// cellRerun is the `tangle run` command that reruns cell i alone.
func (p *Plan) cellRerun(i int, res *scenarios.Result) string {
	sc := *res.Scenario
	sc.Overrides = append(slices.Clone(p.sets), p.cellOverrides(i)...)
	return "tangle run " + scenarios.ShellQuote(p.Arg) + scenarios.RerunArgs(&sc, []string{p.Strategies[i%len(p.Strategies)]}, res.Seed, res.Replications)
}

// Doc assembles the sweep document from completed cells (sorted by index).
func (p *Plan) Doc(cells []reports.SweepCell) *reports.SweepDoc {
	d := &reports.SweepDoc{
		SchemaVersion: reports.SchemaVersion, Kind: "sweep",
		Tool:     reports.Tool{Name: "tangle", Version: p.Version, Go: runtime.Version()},
		Scenario: p.Scenario, Seed: p.Seed, Replications: p.Replications, Cells: slices.Clone(cells), Rerun: p.Rerun(), Zip: p.Zip, TotalCells: p.Cells,
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

// Cell is the document of cell i from its result.
func (p *Plan) Cell(i int, res *scenarios.Result) reports.SweepCell {
	summary := reports.NewSummary(res, reports.Meta{Version: p.Version})
	c := reports.SweepCell{
		Index: i, Values: map[string]string{}, Strategy: p.Strategies[i%len(p.Strategies)],
		Metrics: summary.Strategies[0].Metrics, Rerun: p.cellRerun(i, res), Seeds: res.Seeds, Verdict: summary.Verdict,
		ConfigSHA256: p.CellHash(i),
	}
	for j, v := range p.combos[i/len(p.Strategies)] {
		c.Values[p.Params[j].Path] = v
	}
	return c
}

// Measured lists the metrics the sweep's cells report (those of cell 0's
// world, built but not run), so objectives and constraints can be checked
// before anything runs.
func (p *Plan) Measured() ([]string, error) {
	sc, err := p.CellScenario(0)
	if err != nil {
		return nil, err
	}
	b, err := sc.Build(0, p.Seed)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range b.Summary() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}
