package reports

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// Objective is what a sweep optimises: one metric's mean, minimised or
// maximised.
type Objective struct {
	Metric string
	Dir    metrics.Direction // Lower: minimise; Higher: maximise
}

// ParseObjective reads "minimize:METRIC", "maximize:METRIC" (a space may
// replace the colon) or a bare METRIC, which is optimised in its
// catalogue direction.
func ParseObjective(s string) (Objective, error) {
	s = strings.TrimSpace(s)
	for _, p := range []struct {
		prefix string
		dir    metrics.Direction
	}{{"minimize", metrics.Lower}, {"maximize", metrics.Higher}, {"minimise", metrics.Lower}, {"maximise", metrics.Higher}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, " ")) {
			o := Objective{Metric: strings.TrimSpace(rest[1:]), Dir: p.dir}
			if _, ok := metrics.Describe(o.Metric); !ok {
				return o, unknownMetric(o.Metric)
			}
			return o, nil
		}
	}
	def, ok := metrics.Describe(s)
	if !ok {
		return Objective{}, unknownMetric(s)
	}
	if def.Better == metrics.Neutral {
		return Objective{}, fmt.Errorf("%s has no better direction; write minimize:%s or maximize:%s", s, s, s)
	}
	return Objective{Metric: s, Dir: def.Better}, nil
}

func unknownMetric(name string) error {
	var names []string
	for _, d := range metrics.Catalog() {
		names = append(names, d.Name)
	}
	base, _, _ := strings.Cut(name, ":")
	hint := ""
	if s := scenarios.Suggest(base, names); s != "" {
		hint = " (" + s + ")"
	}
	return fmt.Errorf("unknown metric %q%s; see tangle list metrics", name, hint)
}

func (o Objective) String() string {
	if o.Dir == metrics.Higher {
		return "maximize " + o.Metric
	}
	return "minimize " + o.Metric
}

// Flag is the objective as --objective takes it.
func (o Objective) Flag() string { return strings.Replace(o.String(), " ", ":", 1) }

// Constraint bounds one metric's mean: "routing_churn <= 0.1".
type Constraint struct {
	Metric string
	Op     string // <=, >=, <, >
	Value  float64
	Text   string // the bound as written
}

var constraintRE = regexp.MustCompile(`^\s*([a-z0-9_]+(?::[A-Za-z0-9_.-]+)?)\s*(<=|>=|<|>)\s*(\S.*?)\s*$`)

// ParseConstraint reads METRIC<=X (or >=, <, >), X in the metric's unit
// (5s, 99.9%, 0.1).
func ParseConstraint(s string) (Constraint, error) {
	m := constraintRE.FindStringSubmatch(s)
	if m == nil {
		return Constraint{}, fmt.Errorf("expected METRIC<=VALUE (or >=, <, >), such as latency_p99<=250ms, got %q", s)
	}
	def, ok := metrics.Describe(m[1])
	if !ok {
		return Constraint{}, unknownMetric(m[1])
	}
	v, err := scenarios.ParseValue(def.Unit, m[3])
	if err != nil {
		return Constraint{}, fmt.Errorf("%s: %v", s, err)
	}
	return Constraint{Metric: m[1], Op: m[2], Value: v, Text: m[3]}, nil
}

func (c Constraint) String() string { return c.Metric + " " + c.Op + " " + c.Text }

// Flag is the constraint as --constraint takes it.
func (c Constraint) Flag() string { return c.Metric + c.Op + c.Text }

// Holds reports whether x satisfies the constraint (never for NaN).
func (c Constraint) Holds(x float64) bool {
	switch c.Op {
	case "<=":
		return x <= c.Value
	case ">=":
		return x >= c.Value
	case "<":
		return x < c.Value
	case ">":
		return x > c.Value
	}
	return false
}

// Rank marks each cell of doc feasible when every constraint holds on its
// means, and ranks the feasible cells by the objective's mean (1 = best;
// ties keep grid order); infeasible cells, and cells where the objective is
// undefined, get rank 0. It records the objective and constraints in doc.
func Rank(doc *SweepDoc, obj Objective, cons []Constraint) error {
	doc.Objective = obj.String()
	doc.Constraints = []string{}
	for _, c := range cons {
		doc.Constraints = append(doc.Constraints, c.String())
	}
	var feasible []int
	for i := range doc.Cells {
		c := &doc.Cells[i]
		if _, ok := c.Metrics[obj.Metric]; !ok && len(c.Metrics) > 0 {
			return fmt.Errorf("the objective's metric %s is not measured in this sweep", obj.Metric)
		}
		c.Feasible, c.Rank = !math.IsNaN(float64(c.Metrics[obj.Metric].Mean)), 0
		for _, k := range cons {
			m, ok := c.Metrics[k.Metric]
			if !ok && len(c.Metrics) > 0 {
				return fmt.Errorf("the constraint's metric %s is not measured in this sweep", k.Metric)
			}
			if !k.Holds(float64(m.Mean)) {
				c.Feasible = false
			}
		}
		if c.Feasible {
			feasible = append(feasible, i)
		}
	}
	slices.SortStableFunc(feasible, func(a, b int) int {
		x, y := float64(doc.Cells[a].Metrics[obj.Metric].Mean), float64(doc.Cells[b].Metrics[obj.Metric].Mean)
		if x == y {
			return cmp.Compare(doc.Cells[a].Index, doc.Cells[b].Index)
		}
		if obj.Dir.Better(x, y) {
			return -1
		}
		return 1
	})
	for r, i := range feasible {
		doc.Cells[i].Rank = r + 1
	}
	return nil
}

// Best returns the rank-1 cell, or nil when no cell is feasible.
func (doc *SweepDoc) Best() *SweepCell {
	for i := range doc.Cells {
		if doc.Cells[i].Rank == 1 {
			return &doc.Cells[i]
		}
	}
	return nil
}

// WriteSweepTable writes the ranked sweep: feasible cells by rank, then
// the infeasible ones, each with its parameter values, the objective and
// every constrained metric as mean ± 95% half-width; then the best cell's
// rerun command. At most limit rows are shown (0: all).
func WriteSweepTable(w io.Writer, doc *SweepDoc, obj Objective, cons []Constraint, limit int) error {
	fmt.Fprintf(w, "%s · sweep of %d cell%s · seed %d · %d replication%s each · %s", doc.Scenario.Name, len(doc.Cells), plural(len(doc.Cells)), doc.Seed, doc.Replications, plural(doc.Replications), doc.Objective)
	if len(doc.Constraints) > 0 {
		fmt.Fprintf(w, " subject to %s", strings.Join(doc.Constraints, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	cols := []string{obj.Metric}
	for _, c := range cons {
		if !slices.Contains(cols, c.Metric) {
			cols = append(cols, c.Metric)
		}
	}
	strategies := map[string]bool{}
	for _, c := range doc.Cells {
		strategies[c.Strategy] = true
	}
	order := make([]int, len(doc.Cells))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := doc.Cells[a].Rank, doc.Cells[b].Rank
		switch {
		case ra == rb:
			return 0
		case ra == 0:
			return 1
		case rb == 0:
			return -1
		}
		return cmp.Compare(ra, rb)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "rank")
	for _, p := range doc.Params {
		fmt.Fprintf(tw, "\t%s", p)
	}
	if len(strategies) > 1 {
		fmt.Fprint(tw, "\tstrategy")
	}
	for _, c := range cols {
		def, _ := metrics.Describe(c)
		fmt.Fprintf(tw, "\t%s (%s)", c, def.Unit)
	}
	fmt.Fprintln(tw)
	for n, i := range order {
		if limit > 0 && n >= limit {
			fmt.Fprintf(tw, "… %d more (see sweep.json)\n", len(order)-limit)
			break
		}
		c := doc.Cells[i]
		rank := "—"
		if c.Rank > 0 {
			rank = fmt.Sprint(c.Rank)
		}
		fmt.Fprint(tw, rank)
		for _, p := range doc.Params {
			fmt.Fprintf(tw, "\t%s", c.Values[p])
		}
		if len(strategies) > 1 {
			fmt.Fprintf(tw, "\t%s", c.Strategy)
		}
		for _, m := range cols {
			fmt.Fprintf(tw, "\t%s", formatDoc(c.Metrics[m]))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nvalues are mean ± 95% confidence half-width across replications (every cell uses the same seeds);")
	fmt.Fprintln(w, "ranks and constraints use the means; — marks cells that break a constraint")
	if best := doc.Best(); best != nil {
		fmt.Fprintf(w, "\nbest: cell %d\nrerun: %s\n", best.Index, best.Rerun)
	} else {
		fmt.Fprintln(w, "\nno cell satisfies every constraint")
	}
	return nil
}
