package reports

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tangle-sim/tangle/metrics"
)

type sweepView struct {
	Heatmap     *chartRef
	HeatmapNote string
	RankingNote string
	Columns     []string
	Rows        []rankRow
}

type rankRow struct {
	Feasible bool
	Cells    []rankCell
}

type rankCell struct {
	Text, Sort string
	Num, Code  bool
}

// objective is a sweep's objective: a metric and which way is better.
type objective struct {
	metric string
	dir    metrics.Direction
}

// parseObjective reads "minimize METRIC", "maximize METRIC" or a bare
// metric name (its catalogue direction).
func parseObjective(s string) objective {
	f := strings.Fields(s)
	switch {
	case len(f) == 2 && (f[0] == "minimize" || f[0] == "min"):
		return objective{f[1], metrics.Lower}
	case len(f) == 2 && (f[0] == "maximize" || f[0] == "max"):
		return objective{f[1], metrics.Higher}
	case len(f) == 1:
		return objective{f[0], direction(f[0], "")}
	}
	return objective{}
}

// WriteSweepHTML writes a sweep document as one self-contained HTML
// report: a heatmap of the objective over two swept parameters (by
// default the first two; HTMLOptions.Heatmap chooses) and a sortable
// ranking table of every cell.
func WriteSweepHTML(w io.Writer, doc *SweepDoc, o HTMLOptions) error {
	o = o.withDefaults()
	px, py := o.Heatmap[0], o.Heatmap[1]
	if px == "" && len(doc.Params) > 0 {
		px = doc.Params[0]
	}
	if py == "" && len(doc.Params) > 1 {
		py = doc.Params[1]
		if py == px {
			py = doc.Params[0]
		}
	}
	for _, p := range []string{px, py} {
		if p != "" && !slices.Contains(doc.Params, p) {
			return fmt.Errorf("heatmap parameter %q is not swept; the sweep varies %s", p, strings.Join(doc.Params, ", "))
		}
	}
	cs := &chartSet{}
	p := newPage("sweep", doc.Scenario, doc.Tool, doc.Rerun)
	obj := parseObjective(doc.Objective)
	p.Facts = append(p.Facts,
		fact{"seed", fmt.Sprint(doc.Seed)},
		fact{"replications", fmt.Sprint(doc.Replications)},
		fact{"cells", fmt.Sprint(len(doc.Cells))},
		fact{"swept", strings.Join(doc.Params, ", ")},
		fact{"objective", doc.Objective},
	)
	if len(doc.Constraints) > 0 {
		p.Facts = append(p.Facts, fact{"constraints", strings.Join(doc.Constraints, "; ")})
	}
	p.Facts = append(p.Facts, scenarioFacts(doc.Scenario, doc.Tool)...)
	v := &sweepView{}
	p.Sweep = v
	p.Nav = []navItem{{"heatmap", "Heatmap"}, {"ranking", "Ranking"}}

	unit := ""
	if def, ok := metrics.Lookup(obj.metric); ok {
		unit = def.Unit
	}
	for _, c := range doc.Cells {
		if m, ok := c.Metrics[obj.metric]; ok && unit == "" {
			unit = m.Unit
		}
	}
	value := func(c *SweepCell) float64 {
		if m, ok := c.Metrics[obj.metric]; ok {
			return float64(m.Mean)
		}
		return math.NaN()
	}

	// heatmap
	switch {
	case obj.metric == "":
		v.HeatmapNote = fmt.Sprintf("The sweep's objective %q names no metric, so there is nothing to map.", doc.Objective)
	case px == "":
		v.HeatmapNote = "The sweep varies no parameter."
	default:
		xs, xi := axisValues(doc.Cells, px)
		ys, yi := []string{"—"}, map[string]int{"": 0}
		yName := ""
		if py != "" && py != px {
			ys, yi = axisValues(doc.Cells, py)
			yName = py
		}
		best := map[[2]int]*SweepCell{}
		var order [][2]int
		for i := range doc.Cells {
			c := &doc.Cells[i]
			k := [2]int{xi[c.Values[px]], 0}
			if yName != "" {
				k[1] = yi[c.Values[py]]
			}
			cur, ok := best[k]
			if !ok {
				order = append(order, k)
			}
			if !ok || betterCell(c, cur, value, obj.dir) {
				best[k] = c
			}
		}
		var cells []heatCell
		for _, k := range order {
			c := best[k]
			cells = append(cells, heatCell{X: k[0], Y: k[1], Value: value(c), Feasible: c.Feasible})
		}
		ref := cs.heatmapChart(obj.metric, unit, px, yName, xs, ys, cells, obj.dir != metrics.Higher)
		v.Heatmap = &ref
		v.HeatmapNote = fmt.Sprintf("Mean %s over %d replications for each combination of %s", obj.metric, doc.Replications, px)
		if yName != "" {
			v.HeatmapNote += " and " + yName
		}
		v.HeatmapNote += "; greener is better. Grey cells (✗) break a constraint."
		if len(doc.Params) > 2 || hasStrategies(doc) {
			v.HeatmapNote += " Where other parameters or strategies vary too, a cell shows the best configuration among them."
		}
	}

	// ranking table
	cons := constraintMetrics(doc.Constraints, obj.metric)
	strategies := hasStrategies(doc)
	v.Columns = append(v.Columns, "rank")
	v.Columns = append(v.Columns, doc.Params...)
	if strategies {
		v.Columns = append(v.Columns, "strategy")
	}
	scale := map[string]float64{}
	for _, m := range append([]string{obj.metric}, cons...) {
		if m == "" {
			continue
		}
		var means []float64
		mu := ""
		for _, c := range doc.Cells {
			if st, ok := c.Metrics[m]; ok {
				means = append(means, float64(st.Mean))
				mu = st.Unit
			}
		}
		if def, ok := metrics.Lookup(m); ok {
			mu = def.Unit
		}
		label, sc := rowScale(mu, means)
		scale[m] = sc
		h := m
		if label != "" {
			h += " (" + label + ")"
		}
		if m == obj.metric {
			h = "objective: " + h
		}
		v.Columns = append(v.Columns, h)
	}
	v.Columns = append(v.Columns, "feasible", "rerun")

	idx := make([]int, len(doc.Cells))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := rankKey(&doc.Cells[a]), rankKey(&doc.Cells[b])
		return cmp.Compare(ra, rb)
	})
	feasible := 0
	for _, i := range idx {
		c := &doc.Cells[i]
		row := rankRow{Feasible: c.Feasible}
		rank := "—"
		if c.Rank > 0 {
			rank = strconv.Itoa(c.Rank)
		}
		if c.Feasible {
			feasible++
		}
		row.Cells = append(row.Cells, rankCell{Text: rank, Sort: strconv.FormatFloat(rankKey(c), 'f', -1, 64), Num: true})
		for _, p := range doc.Params {
			val := c.Values[p]
			row.Cells = append(row.Cells, rankCell{Text: val, Sort: paramSortKey(val), Num: true})
		}
		if strategies {
			row.Cells = append(row.Cells, rankCell{Text: c.Strategy, Sort: c.Strategy})
		}
		for _, m := range append([]string{obj.metric}, cons...) {
			if m == "" {
				continue
			}
			st, ok := c.Metrics[m]
			cell := rankCell{Text: "—", Sort: "", Num: true}
			if ok {
				cell.Text = formatMeanCI(st, scale[m])
				if x := float64(st.Mean); !math.IsNaN(x) {
					cell.Sort = strconv.FormatFloat(x, 'g', -1, 64)
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		ok := "✗"
		if c.Feasible {
			ok = "✓"
		}
		row.Cells = append(row.Cells, rankCell{Text: ok, Sort: ok}, rankCell{Text: c.Rerun, Sort: c.Rerun, Code: true})
		v.Rows = append(v.Rows, row)
	}
	v.RankingNote = fmt.Sprintf("%d cells, %d feasible, ranked by %s.", len(doc.Cells), feasible, doc.Objective)
	if len(doc.Constraints) > 0 {
		v.RankingNote += " Infeasible cells (they break a constraint) have no rank and come last."
	}
	return p.render(w, cs)
}

// betterCell reports whether sweep cell a beats b for the heatmap:
// feasible first, then the better objective, then the earlier cell.
func betterCell(a, b *SweepCell, value func(*SweepCell) float64, dir metrics.Direction) bool {
	if a.Feasible != b.Feasible {
		return a.Feasible
	}
	va, vb := value(a), value(b)
	switch {
	case math.IsNaN(vb) && !math.IsNaN(va):
		return true
	case dir.Better(va, vb):
		return true
	case dir == metrics.Neutral && a.Rank > 0 && (b.Rank == 0 || a.Rank < b.Rank):
		return true
	}
	return false
}

// rankKey orders cells: ranked ones by rank, then the rest by grid index.
func rankKey(c *SweepCell) float64 {
	if c.Rank > 0 {
		return float64(c.Rank)
	}
	return 1e9 + float64(c.Index)
}

// axisValues lists the values of a parameter in grid order (first
// appearance) and their positions.
func axisValues(cells []SweepCell, param string) ([]string, map[string]int) {
	var vals []string
	pos := map[string]int{}
	for _, c := range cells {
		v := c.Values[param]
		if _, ok := pos[v]; !ok {
			pos[v] = len(vals)
			vals = append(vals, v)
		}
	}
	return vals, pos
}

func hasStrategies(doc *SweepDoc) bool {
	seen := ""
	for i, c := range doc.Cells {
		if i > 0 && c.Strategy != seen {
			return true
		}
		seen = c.Strategy
	}
	return false
}

// constraintMetrics are the metrics the constraints name ("routing_churn
// <= 0.1" names routing_churn), in order, without the objective.
func constraintMetrics(constraints []string, skip string) []string {
	var out []string
	for _, c := range constraints {
		f := strings.FieldsFunc(c, func(r rune) bool { return r == ' ' || r == '<' || r == '>' || r == '=' })
		if len(f) > 0 && f[0] != skip && !slices.Contains(out, f[0]) {
			out = append(out, f[0])
		}
	}
	return out
}

// paramSortKey sorts parameter values by magnitude when they are numbers
// or durations, else as text.
func paramSortKey(v string) string {
	if x, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64); err == nil {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if d, err := time.ParseDuration(v); err == nil {
		return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
	}
	return v
}
