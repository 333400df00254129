package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// The HTML report's service graph: for scenarios whose services call each
// other, a picture of the graph per strategy (clients, services and the
// calls between them, coloured by health, sized by traffic, fault targets
// marked) and each strategy's per-service and per-edge series. Everything
// is read from the runs' graph documents (GraphDoc) of the shown
// replication.

// Health thresholds: a service or edge is healthy (green) when at least
// healthyAt of its requests succeeded over the picture's phase, degraded
// (amber) from degradedAt, failing (red) below; grey without requests.
const (
	healthyAt  = 0.99
	degradedAt = 0.90
)

var healthColors = struct{ healthy, degraded, failing, idle string }{"#3ba272", "#f0b429", "#e5484d", "#bbbbbb"}

func healthColor(success float64, n float64) string {
	switch {
	case n == 0 || math.IsNaN(success):
		return healthColors.idle
	case success >= healthyAt:
		return healthColors.healthy
	case success >= degradedAt:
		return healthColors.degraded
	}
	return healthColors.failing
}

type graphView struct {
	Caption    string
	Strategies []graphStrategy
	Missing    []string
}

type graphStrategy struct {
	Name    string
	Picture chartRef
	Charts  []chartRef
}

// phase is the part of a run a picture sums over: the fault windows, or
// the measurement window when the run has none.
type phase struct {
	windows [][2]float64
	name    string
}

func (p phase) contains(t float64) bool {
	for _, w := range p.windows {
		if t >= w[0] && t < w[1] {
			return true
		}
	}
	return false
}

// flowTotals are a flow's requests over a phase, summed from its series.
type flowTotals struct {
	n, ok, attempts, timeouts float64
	worstP99                  float64 // the largest bucket p99 in the phase; NaN without responses
}

func (t flowTotals) success() float64 {
	if t.n == 0 {
		return math.NaN()
	}
	return t.ok / t.n
}

func (t flowTotals) perCall() float64 {
	if t.n == 0 {
		return math.NaN()
	}
	return t.attempts / t.n
}

// totals sums f's series over the buckets whose middle lies in ph.
func totals(g *GraphDoc, f *GraphFlowDoc, ph phase) flowTotals {
	rate, succ, p99, per, tos := f.Of("request_rate"), f.Of("success_rate"), f.Of("latency_p99"), f.Of("attempts_per_call"), f.Of("timeouts")
	t := flowTotals{worstP99: math.NaN()}
	at := func(xs []Float, k int) float64 {
		if k < len(xs) && !math.IsNaN(float64(xs[k])) {
			return float64(xs[k])
		}
		return 0
	}
	prev := 0.0
	for k, end := range g.Time {
		start := prev
		prev = float64(end)
		if !ph.contains((start + float64(end)) / 2) {
			continue
		}
		n := at(rate, k) * (float64(end) - start)
		t.n += n
		t.ok += at(succ, k) * n
		t.attempts += at(per, k) * n
		t.timeouts += at(tos, k)
		if k < len(p99) && !math.IsNaN(float64(p99[k])) && !(float64(p99[k]) <= t.worstP99) {
			t.worstP99 = float64(p99[k])
		}
	}
	return t
}

func newGraph(doc *Summary, o HTMLOptions, cs *chartSet) *graphView {
	found := false
	for i := range doc.Strategies {
		if r := runOf(&doc.Strategies[i], o.Replication); r != nil && r.Graph != nil {
			found = true
		}
	}
	if !found {
		return nil
	}
	v := &graphView{}
	colors := faultColorOf(doc)
	phaseName := ""
	for i := range doc.Strategies {
		s := &doc.Strategies[i]
		r := runOf(s, o.Replication)
		if r == nil || r.Graph == nil {
			v.Missing = append(v.Missing, s.Name)
			continue
		}
		ph := phase{name: "the measurement window", windows: [][2]float64{{doc.WarmupS, doc.DurationS}}}
		if len(r.Faults) > 0 {
			ph = phase{name: "the fault windows"}
			for _, f := range r.Faults {
				ph.windows = append(ph.windows, [2]float64{float64(f.StartS), endOf(f, doc.DurationS)})
			}
			ph.windows = union(ph.windows)
		}
		phaseName = ph.name
		gs := graphStrategy{Name: s.Name, Picture: graphPicture(cs, s.Name, r, ph, colors)}
		gs.Charts = graphSeriesCharts(doc, o, cs, s.Name, r, []*RunDoc{r})
		v.Strategies = append(v.Strategies, gs)
	}
	v.Caption = fmt.Sprintf("Replication %d. Clients (grey squares) on the left, then each service one column further than its deepest caller. "+
		"A service's colour is its health over %s: the fraction of its requests that succeeded as its callers saw them, green from %s, amber from %s, red below, grey without requests; "+
		"its size and label give its request rate. An edge's width is its traffic (requests/s) and its label the attempts per call (1 + retries: the hop's amplification) and the timeouts over the same phase. "+
		"A thick dark dashed ring with a halo in the fault's colour (as in the fault timeline) and a ⚡ mark the services whose replicas a fault hit; hover a node or an edge for its figures. "+
		"Below each picture, the strategy's per-service and per-edge series (lines are services or edges) with fault windows shaded, each line downsampled to about %d points (LTTB, extremes kept).",
		o.Replication, phaseName, formatNum(healthyAt*100, 3)+"%", formatNum(degradedAt*100, 3)+"%", min(o.MaxPoints, graphMaxPoints))
	return v
}

// union merges overlapping windows, so rates over a phase divide by the
// time it covers once.
func union(ws [][2]float64) [][2]float64 {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	var out [][2]float64
	for _, w := range ws {
		if n := len(out); n > 0 && w[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}

// depths places each service one column right of its deepest caller; a
// client is at 0 and the service it calls at least at 1.
func depths(g *GraphDoc) map[string]int {
	d := map[string]int{}
	for _, s := range g.Services {
		d[s.Name] = 1
	}
	for range g.Services { // a DAG: |services| rounds settle every path
		changed := false
		for _, e := range g.Edges {
			if e.Entry {
				continue
			}
			if d[e.To] < d[e.From]+1 {
				d[e.To], changed = d[e.From]+1, true
			}
		}
		if !changed {
			break
		}
	}
	return d
}

// graphPicture draws one strategy's graph: a fixed layered layout, so the
// page's bytes depend on the document only.
func graphPicture(cs *chartSet, strategy string, r *RunDoc, ph phase, faultColors map[string]string) chartRef {
	g := r.Graph
	id := cs.nextID()
	depth := depths(g)
	const rowHeight = 110 // px

	// which services a fault hit, and by which kinds
	type hit struct {
		kinds    []string
		replicas map[string]bool
	}
	hits := map[string]*hit{}
	owner := map[string]string{} // replica or service name → service
	for _, s := range g.Services {
		owner[s.Name] = s.Name
		for _, rep := range s.Replicas {
			owner[rep] = s.Name
		}
	}
	for _, f := range r.Faults {
		for _, t := range f.Targets {
			svc, ok := owner[t]
			if !ok {
				continue
			}
			h := hits[svc]
			if h == nil {
				h = &hit{replicas: map[string]bool{}}
				hits[svc] = h
			}
			if !slices.Contains(h.kinds, f.Kind) {
				h.kinds = append(h.kinds, f.Kind)
			}
			if t != svc {
				h.replicas[t] = true
			}
		}
	}

	// columns: clients at 0, services by depth, each in declaration order
	cols := map[int][]string{}
	maxDepth := 0
	var clients []string
	for _, e := range g.Edges {
		if e.Entry && !slices.Contains(clients, e.From) {
			clients = append(clients, e.From)
		}
	}
	cols[0] = clients
	gateways := map[string]bool{}
	for _, s := range g.Services {
		gateways[s.Name] = s.Gateway
		d := depth[s.Name]
		cols[d] = append(cols[d], s.Name)
		maxDepth = max(maxDepth, d)
	}
	tallest := 0
	for _, c := range cols {
		tallest = max(tallest, len(c))
	}
	// positions on hidden value axes (a cartesian graph: nothing is fitted
	// or laid out in the browser), one unit per column and per row
	pos := func(col, i int) []any {
		n := len(cols[col])
		return []any{col, num(float64(i) - float64(n-1)/2)}
	}

	svcTotals := map[string]flowTotals{}
	maxRate := 0.0
	for i := range g.Services {
		t := totals(g, &g.Services[i], ph)
		svcTotals[g.Services[i].Name] = t
		maxRate = max(maxRate, t.n)
	}
	edgeTotals := make([]flowTotals, len(g.Edges))
	maxEdge := 0.0
	for i := range g.Edges {
		edgeTotals[i] = totals(g, &g.Edges[i], ph)
		maxEdge = max(maxEdge, edgeTotals[i].n)
	}
	span := 0.0
	for _, w := range ph.windows {
		span += w[1] - w[0]
	}
	perSecond := func(n float64) float64 {
		if span <= 0 {
			return math.NaN()
		}
		return n / span
	}

	var nodes []any
	index := map[string]int{} // "c:NAME" or "s:NAME" → node index
	for i, c := range clients {
		var out float64
		gateway := false
		for k, e := range g.Edges {
			if e.Entry && e.From == c {
				out += edgeTotals[k].n
				gateway = gateway || e.Gateway
			}
		}
		text, tip := c+"\n"+formatRate(perSecond(out)), []string{"client " + c, "sends " + formatRate(perSecond(out))}
		if gateway {
			text = c + " ⇢ edge\n" + formatRate(perSecond(out))
			tip = append(tip, "enters through an edge gateway, which picks a cluster first")
		}
		index["c:"+c] = len(nodes)
		nodes = append(nodes, map[string]any{
			"id": "c:" + c, "name": c, "value": pos(0, i), "symbol": "roundRect", "symbolSize": []int{54, 30},
			"itemStyle": map[string]any{"color": "#e8e8e8", "borderColor": "#888", "borderWidth": 1},
			"text":      text, "tip": tip,
		})
	}
	for d := 1; d <= maxDepth; d++ {
		for i, name := range cols[d] {
			t := svcTotals[name]
			size := 26.0
			if maxRate > 0 {
				size = 26 + 38*math.Sqrt(t.n/maxRate)
			}
			style := map[string]any{"color": healthColor(t.success(), t.n), "borderColor": "#555", "borderWidth": 1}
			text := name + "\n" + formatRate(perSecond(t.n)) + " · " + formatRatio(t.success())
			tip := []string{"service " + name, "requests: " + formatRate(perSecond(t.n)), "success: " + formatRatio(t.success()),
				"attempts per request: " + formatFactor(t.perCall()), "timeouts: " + formatNum(t.timeouts, 4), "worst bucket p99: " + formatQuantity(t.worstP99, "s")}
			if h := hits[name]; h != nil {
				// a dark dashed ring, haloed in the fault's colour (as in
				// the fault timeline): visible on any health colour
				style["borderColor"] = "#1f1f1f"
				style["borderWidth"] = 4
				style["borderType"] = "dashed"
				style["shadowColor"] = "rgb(" + faultColors[h.kinds[0]] + ")"
				style["shadowBlur"] = 18
				hitText := strings.Join(h.kinds, ", ")
				if n := len(h.replicas); n > 0 {
					var reps int
					for _, s := range g.Services {
						if s.Name == name {
							reps = len(s.Replicas)
						}
					}
					hitText += fmt.Sprintf(" on %d of %d replicas", n, reps)
				}
				text = "⚡ " + text
				tip = append(tip, "fault target: "+hitText)
			}
			symbol := "circle"
			if gateways[name] { // a declared edge gateway: a node with capacity of its own
				symbol = "diamond"
				text = "edge " + text
				tip[0] = "edge gateway " + name
			}
			index["s:"+name] = len(nodes)
			nodes = append(nodes, map[string]any{
				"id": "s:" + name, "name": name, "value": pos(d, i), "symbol": symbol, "symbolSize": num(size),
				"itemStyle": style, "text": text, "tip": tip,
			})
		}
	}
	var links []any
	for k, e := range g.Edges {
		from := "s:" + e.From
		if e.Entry {
			from = "c:" + e.From
		}
		src, ok1 := index[from]
		dst, ok2 := index["s:"+e.To]
		if !ok1 || !ok2 {
			continue
		}
		t := edgeTotals[k]
		width := 1.0
		if maxEdge > 0 {
			width = 1 + 9*math.Sqrt(t.n/maxEdge)
		}
		text := formatFactor(t.perCall()) + "/call"
		if t.timeouts > 0 {
			text += " · " + formatNum(t.timeouts, 4) + " timeouts"
		}
		links = append(links, map[string]any{
			"source": src, "target": dst,
			"lineStyle": map[string]any{"width": num(width), "color": healthColor(t.success(), t.n), "opacity": 0.85, "curveness": 0.08},
			"text":      text,
			"tip": []string{e.Name, "requests: " + formatRate(perSecond(t.n)), "success: " + formatRatio(t.success()),
				"attempts per call: " + formatFactor(t.perCall()), "timeouts: " + formatNum(t.timeouts, 4), "worst bucket p99: " + formatQuantity(t.worstP99, "s")},
		})
	}
	title := "Service graph — " + strategy + " (health over " + ph.name + ")"
	gr := charts.NewGraph()
	gr.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(chartTitle(title)),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	gr.AddSeries("graph", nil, nil, charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		s.Layout = "none"
		s.CoordSystem = "cartesian2d"
		s.Data, s.Links = nodes, links
		s.EdgeSymbol = []string{"none", "arrow"}
		s.EdgeSymbolSize = 9
		s.Label = &opts.Label{Show: opts.Bool(true), Position: "bottom", FontSize: 11, Color: "#333", LineHeight: 14}
		s.EdgeLabel = map[string]any{"show": true, "fontSize": 10, "color": "#555", "lineHeight": 13}
	}))
	ref := cs.add("graph", "", title, 90+rowHeight*max(tallest, 2), gr)
	opt := cs.specs[len(cs.specs)-1].Option
	half := float64(max(tallest, 2)) / 2
	hidden := func(lo, hi float64, inverse bool) map[string]any {
		return map[string]any{"type": "value", "show": false, "min": num(lo), "max": num(hi), "inverse": inverse}
	}
	opt["xAxis"] = []any{hidden(-0.4, float64(maxDepth)+0.5, false)}
	opt["yAxis"] = []any{hidden(-half, half, true)}
	opt["grid"] = []any{map[string]any{"left": "40", "right": "60", "top": "40", "bottom": "20"}}
	return ref
}

// graphSeriesCharts draws a strategy's per-service and per-edge series:
// one chart per series name, a line per service or edge. Services show
// request rate, success rate, p99 and every further per-service series
// the run has (replica counts); edges request rate, success rate, p99
// and attempts per call.
func graphSeriesCharts(doc *Summary, o HTMLOptions, cs *chartSet, strategy string, r *RunDoc, runs []*RunDoc) []chartRef {
	g := r.Graph
	bands := seriesBands(doc, runs)
	x := make([]float64, len(g.Time))
	for k, t := range g.Time {
		x[k] = float64(t)
	}
	var refs []chartRef
	draw := func(kind string, flows []GraphFlowDoc, names []string) {
		for _, name := range names {
			var lines []timeLine
			unit := ""
			for i := range flows {
				vals := flows[i].Of(name)
				if vals == nil {
					continue
				}
				for _, s := range flows[i].Series {
					if s.Name == name {
						unit = s.Unit
					}
				}
				y := make([]float64, len(x))
				for k := range y {
					y[k] = math.NaN()
					if k < len(vals) {
						y[k] = float64(vals[k])
					}
				}
				xs, ys := downsample(x, y, min(o.MaxPoints, graphMaxPoints))
				lines = append(lines, timeLine{Name: flows[i].Name, Color: palette[i%len(palette)], X: xs, Y: ys})
			}
			if len(lines) == 0 {
				continue
			}
			yr := yRange{}
			switch unit {
			case "ratio":
				yr = yRange{Max: 1, Scale: true}
			case "s":
				yr = yRange{Log: true}
			case "replicas":
				yr = yRange{Min: 0}
			}
			title := kind + " " + strings.ReplaceAll(name, "_", " ") + " — " + strategy
			ref := cs.timeChart(title, unit, doc.DurationS, yr, lines, bands)
			ref.Height = 280
			refs = append(refs, ref)
		}
	}
	serviceNames := []string{"request_rate", "success_rate", "latency_p99"}
	for _, f := range g.Services {
		for _, s := range f.Series {
			if !slices.Contains(serviceNames, s.Name) && !slices.Contains(flowSeriesNames, s.Name) {
				serviceNames = append(serviceNames, s.Name) // replica counts and what else a run adds
			}
		}
	}
	draw("Per-service", g.Services, serviceNames)
	draw("Per-edge", g.Edges, []string{"request_rate", "success_rate", "latency_p99", "attempts_per_call"})
	return refs
}

// graphMaxPoints bounds the points of each per-service and per-edge
// line: the charts are small multiples, and a graph of tens of services
// and edges would otherwise put millions of points into the page.
const graphMaxPoints = 300

// flowSeriesNames are the series every service and edge has (as
// metrics' flowSeries).
var flowSeriesNames = []string{"request_rate", "success_rate", "latency_p99", "attempts_per_call", "timeouts"}

func formatRate(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return formatNum(x, 3) + "/s"
}

func formatRatio(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return formatNum(x*100, 3) + "%"
}

func formatFactor(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return formatNum(x, 3) + "×"
}
