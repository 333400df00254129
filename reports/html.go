package reports

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// HTMLOptions tunes the HTML report; the zero value is the default.
type HTMLOptions struct {
	// MaxPoints is the number of points each plotted series is downsampled
	// to (LTTB, extremes kept); default 2000.
	MaxPoints int
	// Replication is the replication whose time series, fault windows and
	// audit trail are shown; default 0.
	Replication int
	// AuditRows is the number of audit-trail rows shown per strategy;
	// default 25.
	AuditRows int
	// Heatmap names the two swept parameters of a sweep's heatmap; default
	// the first two.
	Heatmap [2]string
}

func (o HTMLOptions) withDefaults() HTMLOptions {
	if o.MaxPoints <= 0 {
		o.MaxPoints = 2000
	}
	if o.AuditRows <= 0 {
		o.AuditRows = 25
	}
	return o
}

//go:embed html
var htmlFiles embed.FS

var pageTemplate = template.Must(template.New("page.tmpl").Funcs(template.FuncMap{
	"join": strings.Join,
}).ParseFS(htmlFiles, "html/page.tmpl"))

func htmlFile(name string) string {
	b, err := htmlFiles.ReadFile("html/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// page is everything page.tmpl shows. Strings are plain text: the template
// escapes them; only Script, Style, ECharts and Charts are inserted as is.
type page struct {
	Kind        string // "results" or "sweep"
	Title       string
	Name        string
	Description string
	Facts       []fact
	Rerun       string
	Notices     []string
	Nav         []navItem

	Verdict *verdictView
	Compare *compareView
	Boxes   *boxView
	Faults  *faultView
	Graph   *graphView
	Series  *seriesView
	Audit   *auditView
	Sweep   *sweepView

	ECharts        template.JS // the inlined library, or "" to load CDN
	CDN            string
	EChartsVersion string
	Charts         template.JS // JSON array of chartSpec, HTML-escaped
	Script         template.JS
	Style          template.CSS
	ThirdParty     []notice
	Tool           Tool
}

type fact struct{ Label, Value string }

type navItem struct{ ID, Title string }

// WriteHTML writes doc — a summary or a full results document — as one
// self-contained HTML report: verdict, strategy comparison, distributions
// across replications, fault timeline, time series with fault windows
// shaded, and the audit trail. It reads only the document, so `tangle run
// --html` and `tangle report` give the same bytes for the same document.
// Without per-run series (a summary document) it renders what it can and
// says what is missing.
func WriteHTML(w io.Writer, doc *Summary, o HTMLOptions) error {
	o = o.withDefaults()
	if o.Replication < 0 || (doc.Replications > 0 && o.Replication >= doc.Replications) {
		return fmt.Errorf("replication %d: the document has replications 0 to %d", o.Replication, doc.Replications-1)
	}
	cs := &chartSet{}
	p := newPage("results", doc.Scenario, doc.Tool, doc.Rerun)
	p.Facts = append(p.Facts,
		fact{"seed", fmt.Sprint(doc.Seed)},
		fact{"replications", fmt.Sprint(doc.Replications)},
		fact{"duration", formatSeconds(doc.DurationS)},
	)
	if doc.WarmupS > 0 {
		p.Facts = append(p.Facts, fact{"warmup", formatSeconds(doc.WarmupS) + " (excluded from metrics)"})
	}
	p.Facts = append(p.Facts, scenarioFacts(doc.Scenario, doc.Tool)...)

	p.Verdict = newVerdict(doc)
	p.Nav = append(p.Nav, navItem{"verdict", "Verdict"})
	if len(doc.Strategies) > 0 {
		p.Compare = newCompare(doc)
		p.Nav = append(p.Nav, navItem{"comparison", "Comparison"})
		p.Boxes = newBoxes(doc, p.Compare, cs)
		p.Nav = append(p.Nav, navItem{"distributions", "Distributions"})
	}
	if hasRuns(doc) {
		p.Faults = newFaults(doc, o, cs)
		p.Nav = append(p.Nav, navItem{"faults", "Faults"})
		if p.Graph = newGraph(doc, o, cs); p.Graph != nil {
			p.Nav = append(p.Nav, navItem{"graph", "Service graph"})
		}
		p.Series = newSeries(doc, o, cs)
		p.Nav = append(p.Nav, navItem{"series", "Time series"})
		if p.Audit = newAudit(doc, o); p.Audit != nil {
			p.Nav = append(p.Nav, navItem{"audit", "Audit trail"})
		}
	} else {
		p.Notices = append(p.Notices, "This is a summary document without per-run data, so the fault timeline, time series and audit trail are not shown. Render results.json (written by `tangle run --out DIR`) for the full report.")
	}
	return p.render(w, cs)
}

func newPage(kind string, sc ScenarioInfo, tool Tool, rerun string) *page {
	p := &page{
		Kind: kind, Name: sc.Name, Description: sc.Description, Rerun: rerun, Tool: tool,
		CDN: echartsCDN, EChartsVersion: echartsVersion(),
		Script: template.JS(htmlFile("report.js")), Style: template.CSS(htmlFile("report.css")),
		ThirdParty: thirdPartyNotices(),
	}
	p.Title = sc.Name + " — tangle report"
	if kind == "sweep" {
		p.Title = sc.Name + " — tangle sweep report"
	}
	if EChartsEmbedded() {
		p.ECharts = template.JS(echarts)
	} else {
		p.Notices = append(p.Notices, "Charts load from a CDN: "+EChartsNotice+". Offline, this page shows its tables but no charts.")
	}
	return p
}

func scenarioFacts(sc ScenarioInfo, tool Tool) []fact {
	var out []fact
	v := strings.TrimSpace(tool.Name + " " + tool.Version)
	if tool.Go != "" {
		v += " (" + tool.Go + ")"
	}
	if v != "" {
		out = append(out, fact{"tool", v})
	}
	if sc.Source != "" {
		out = append(out, fact{"source", sc.Source})
	}
	if sc.SHA256 != "" {
		out = append(out, fact{"scenario sha256", sc.SHA256})
	}
	return out
}

func (p *page) render(w io.Writer, cs *chartSet) error {
	js, err := cs.json()
	if err != nil {
		return fmt.Errorf("encoding charts: %w", err)
	}
	p.Charts = template.JS(js)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func hasRuns(doc *Summary) bool {
	for _, s := range doc.Strategies {
		if len(s.Runs) > 0 {
			return true
		}
	}
	return false
}

// runOf is strategy s's run of replication r, or nil.
func runOf(s *StrategySummary, r int) *RunDoc {
	for i := range s.Runs {
		if s.Runs[i].Replication == r {
			return &s.Runs[i]
		}
	}
	return nil
}

// ---- verdict ----

type verdictView struct {
	Status     string // pass, fail or none
	Headline   string
	Checks     []checkRow
	Strategies []strategyVerdict
}

type checkRow struct {
	Passed                      bool
	Name, Kind, Strategy, Phase string
	Condition, Value, Detail    string
	Alerts                      []string
}

type strategyVerdict struct {
	Name           string
	Passed, Failed int
	Expected       bool // declared expect: fail
}

func newVerdict(doc *Summary) *verdictView {
	v := &verdictView{Status: doc.Verdict}
	failed, expected := 0, 0
	byStrategy := map[string]*strategyVerdict{}
	var order []string
	for _, c := range doc.Checks {
		unit := ""
		if def, ok := metrics.Lookup(c.Metric); ok {
			unit = def.Unit
		}
		row := checkRow{
			Passed: c.Passed, Name: c.Name, Kind: c.Kind, Strategy: c.Strategy, Phase: c.Phase, Detail: c.Detail,
			Condition: strings.TrimSpace(c.Metric + " " + opSymbol(c.Op) + " " + formatQuantity(float64(c.Threshold), unit)),
			Value:     formatQuantity(float64(c.Value), unit),
		}
		for _, a := range c.Alerts {
			row.Alerts = append(row.Alerts, alertText(a))
		}
		v.Checks = append(v.Checks, row)
		sv := byStrategy[c.Strategy]
		if sv == nil {
			sv = &strategyVerdict{Name: c.Strategy}
			byStrategy[c.Strategy] = sv
			order = append(order, c.Strategy)
		}
		switch {
		case c.Passed:
			sv.Passed++
		case c.Expected == "fail":
			sv.Failed++
			sv.Expected = true
			expected++
			row.Detail = strings.TrimSpace("expected: " + c.Strategy + " is a contrast declared expect: fail; " + row.Detail)
			v.Checks[len(v.Checks)-1] = row
		default:
			sv.Failed++
			failed++
		}
	}
	for _, name := range order {
		v.Strategies = append(v.Strategies, *byStrategy[name])
	}
	switch {
	case len(doc.Checks) == 0:
		v.Status = "none"
		v.Headline = "No verdict: this scenario declares no checks or SLOs, so nothing passed or failed. Add checks: or slos: to the scenario to get one."
	case failed > 0:
		v.Status = "fail"
		v.Headline = fmt.Sprintf("%d of %d checks and SLOs failed", failed, len(doc.Checks))
	case v.Status == "fail":
		v.Headline = "Fail: " + strings.Join(contrastsHeld(doc.Checks), ", ") + " declared expect: fail but held every check, so the scenario's stated result no longer stands"
	case expected > 0:
		v.Status = "pass"
		v.Headline = fmt.Sprintf("All %d checks and SLOs of the strategies expected to pass held; the %d failures are of contrast strategies declared expect: fail, as stated", len(doc.Checks)-expected, expected)
	default:
		v.Status = "pass"
		v.Headline = fmt.Sprintf("All %d checks and SLOs held", len(doc.Checks))
	}
	return v
}

func opSymbol(op string) string {
	switch op {
	case "<=":
		return "≤"
	case ">=":
		return "≥"
	}
	return op
}

func alertText(a AlertDoc) string {
	s := fmt.Sprintf("%s alert (burn rate ≥ %s over %s and %s): ", a.Severity, formatNum(float64(a.BurnRate), 3),
		formatSeconds(float64(a.LongWindowS)), formatSeconds(float64(a.ShortWindowS)))
	if len(a.FiredS) == 0 {
		return s + "never fired"
	}
	s += fmt.Sprintf("fired %d× (first at %s)", len(a.FiredS), formatSeconds(float64(a.FiredS[0])))
	if d := float64(a.DetectionS); !math.IsNaN(d) {
		s += ", detected " + formatSeconds(d) + " after onset"
	}
	return s
}

// ---- comparison table ----

type compareView struct {
	Heads []strategyHead
	Rows  []compareRow
	Notes []string
}

type strategyHead struct {
	Name, Routing, Params string
	Wins                  string // "best on 6 of 17 ranked metrics (4 established)"
	From                  string // "parameters from envoy.yaml", with the sources as the title
	Imported              string
	Color                 template.CSS // generated, never user text
}

type compareRow struct {
	Metric, Description, Unit, Better string
	Cells                             []compareCell
}

type compareCell struct {
	Text, Title string
	Best        bool
	Overlap     bool // best mean, but its CI overlaps another strategy's
}

// headline metrics lead the tables, in this order (as in the terminal
// table).
func compareMetrics(doc *Summary) []string {
	present := map[string]bool{}
	for _, s := range doc.Strategies {
		for name := range s.Metrics {
			present[name] = true
		}
	}
	var lead []string
	for _, c := range doc.Checks {
		if !slices.Contains(lead, c.Metric) {
			lead = append(lead, c.Metric)
		}
	}
	return metricRows(present, lead, func(name string) bool {
		for _, s := range doc.Strategies {
			if m, ok := s.Metrics[name]; ok && m.Mean != 0 {
				return false
			}
		}
		return true
	})
}

func newCompare(doc *Summary) *compareView {
	v := &compareView{}
	for i, s := range doc.Strategies {
		h := strategyHead{Name: s.Name, Routing: s.Routing, Color: template.CSS(strategyColor(i))}
		if s.Load != "" {
			h.Routing += " · load " + s.Load
		}
		// Only what differs from the routing's defaults: the full set is in
		// the JSON.
		defaults := scenarios.RoutingDefaults(s.Routing)
		keys := make([]string, 0, len(s.Params))
		for k, v := range s.Params {
			if d, ok := defaults[k]; !ok || d != v {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var ps []string
		for _, k := range keys {
			ps = append(ps, k+"="+s.Params[k])
		}
		h.Params = strings.Join(ps, ", ")
		if s.From != "" {
			h.From, h.Imported = "parameters from "+s.From, strings.Join(s.Imported, "\n")
		}
		v.Heads = append(v.Heads, h)
	}
	anyOverlap, unrankedLatency := false, false
	for _, name := range compareMetrics(doc) {
		var unit, better string
		means := make([]float64, len(doc.Strategies))
		for i, s := range doc.Strategies {
			m, ok := s.Metrics[name]
			means[i] = math.NaN()
			if ok {
				means[i] = float64(m.Mean)
				unit, better = m.Unit, m.Better
			}
		}
		def, known := metrics.Lookup(name)
		if known {
			unit = def.Unit
		}
		dir := direction(name, better)
		label, scale := rowScale(unit, means)
		row := compareRow{Metric: name, Description: def.Description, Unit: label, Better: dir.String()}
		values := func(i int, m string) []float64 { return plain(doc.Strategies[i].Metrics[m].Values) }
		best, established := markBest(name, dir, values, len(doc.Strategies))
		if latencyUnranked(name, values, len(doc.Strategies)) {
			unrankedLatency = true
		}
		for i, s := range doc.Strategies {
			m, ok := s.Metrics[name]
			cell := compareCell{Text: "—"}
			if ok {
				cell.Text = formatMeanCI(m, scale)
				if m.N >= 2 {
					cell.Title = fmt.Sprintf("mean %s, 95%% CI [%s, %s], n = %d", formatNum(float64(m.Mean)*scale, 5),
						formatNum(float64(m.CI95Low)*scale, 5), formatNum(float64(m.CI95Hi)*scale, 5), m.N)
				}
			}
			if i == best {
				cell.Best = true
				if !established {
					cell.Overlap = true
					anyOverlap = true
					cell.Title += "; best mean, but one replication cannot establish the difference"
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	if len(doc.Strategies) > 1 {
		ranked := 0
		wins := make([]int, len(doc.Strategies))
		established := make([]int, len(doc.Strategies))
		for _, r := range v.Rows {
			if r.Better != metrics.Neutral.String() {
				ranked++
			}
			for i, c := range r.Cells {
				if c.Best {
					wins[i]++
					if !c.Overlap {
						established[i]++
					}
				}
			}
		}
		for i := range v.Heads {
			v.Heads[i].Wins = fmt.Sprintf("best on %d of %d ranked metrics (★ %d)", wins[i], ranked, established[i])
		}
	}
	if doc.Replications > 1 {
		v.Notes = append(v.Notes, fmt.Sprintf("Cells are the mean across %d replications ± the 95%% Student-t confidence half-width; hover a cell for the interval.", doc.Replications))
	}
	if len(doc.Strategies) > 1 {
		n := "★ marks the best mean for the metric's direction where it is better than every other strategy's by a paired 95% interval (replications share their random numbers); rows within noise, and neutral metrics, are not ranked"
		if anyOverlap {
			n += "; ☆ marks a best mean that one replication cannot establish (no confidence intervals)"
		}
		v.Notes = append(v.Notes, n+".")
		if unrankedLatency {
			v.Notes = append(v.Notes, "latency_* rows count answered requests only, so failing fast would look fast: they are not ranked where the strategies' success rates differ; effective_latency_* rows count failures at the client's timeout and are.")
		}
	}
	return v
}

// ---- box plots ----

type boxView struct {
	Charts []chartRef
	Note   string
}

// maxBoxes bounds the number of box plots; the table has every metric.
const maxBoxes = 12

func newBoxes(doc *Summary, cmp *compareView, cs *chartSet) *boxView {
	v := &boxView{}
	if doc.Replications < 2 {
		v.Note = "One replication: there is no distribution across replications to show. Run with --replications 2 or more."
		return v
	}
	names := make([]string, len(doc.Strategies))
	for i, s := range doc.Strategies {
		names[i] = s.Name
	}
	var candidates []string
	for _, row := range cmp.Rows {
		name := row.Metric
		if strings.HasPrefix(name, "requests_") || strings.HasPrefix(name, "failures_") || direction(name, "") == metrics.Neutral {
			continue
		}
		if spread(doc, name) {
			candidates = append(candidates, name)
		}
	}
	shown := candidates[:min(len(candidates), maxBoxes)]
	for _, name := range shown {
		var boxes [][5]float64
		var values [][]float64
		unit := ""
		for _, s := range doc.Strategies {
			m := s.Metrics[name]
			unit = m.Unit
			xs := finite(m.Values)
			values = append(values, xs)
			boxes = append(boxes, boxStats(xs))
		}
		if def, ok := metrics.Lookup(name); ok {
			unit = def.Unit
		}
		v.Charts = append(v.Charts, cs.boxChart(name, unit, names, boxes, values))
	}
	v.Note = fmt.Sprintf("Each box spans the replications' values of one strategy: whiskers at min and max, box from Q1 to Q3, line at the median (sample quantiles); dots are the %d replications.", doc.Replications)
	if len(candidates) > len(shown) {
		v.Note += fmt.Sprintf(" Showing %d of %d metrics that vary; the table above has all of them.", len(shown), len(candidates))
	}
	if len(shown) == 0 {
		v.Note = "No ranked metric varies across replications."
	}
	return v
}

// spread reports whether a metric's values vary across replications or
// strategies (a box plot of a constant says nothing).
func spread(doc *Summary, name string) bool {
	first, seen := 0.0, false
	for _, s := range doc.Strategies {
		for _, x := range finite(s.Metrics[name].Values) {
			if !seen {
				first, seen = x, true
			} else if x != first {
				return true
			}
		}
	}
	return false
}

func finite(xs []Float) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if f := float64(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
			out = append(out, f)
		}
	}
	return out
}

// boxStats is [min, Q1, median, Q3, max] of xs, quantiles by gonum's
// Empirical rule (the smallest value whose empirical CDF reaches p, so
// every statistic is one of the values); NaNs for no values.
func boxStats(xs []float64) [5]float64 {
	if len(xs) == 0 {
		n := math.NaN()
		return [5]float64{n, n, n, n, n}
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, s, nil) }
	return [5]float64{s[0], q(0.25), q(0.5), q(0.75), s[len(s)-1]}
}

// ---- faults ----

type faultView struct {
	Chart   *chartRef
	Rows    []faultRow
	Caption string
	Empty   string
}

type faultRow struct {
	Index            int
	Kind, Target     string
	Windows, Targets string
	Color            template.CSS // generated, never user text
}

// faultKey identifies one window of one fault.
type faultKey struct {
	index      int
	start, end float64
}

// faultColorOf returns the colour ("r,g,b") of each fault kind, by first
// appearance in the document.
func faultColorOf(doc *Summary) map[string]string {
	colors := map[string]string{}
	for _, s := range doc.Strategies {
		for _, r := range s.Runs {
			for _, f := range r.Faults {
				if _, ok := colors[f.Kind]; !ok {
					colors[f.Kind] = faultColors[len(colors)%len(faultColors)]
				}
			}
		}
	}
	return colors
}

func endOf(f FaultDoc, duration float64) float64 {
	if e := float64(f.EndS); !math.IsNaN(e) {
		return e
	}
	return duration
}

func newFaults(doc *Summary, o HTMLOptions, cs *chartSet) *faultView {
	v := &faultView{}
	colors := faultColorOf(doc)
	type info struct {
		kind, target string
		windows      []faultKey
		targets      map[string]int
		order        []string
	}
	byIndex := map[int]*info{}
	runs := 0
	seen := map[faultKey]bool{}
	for si := range doc.Strategies {
		s := &doc.Strategies[si]
		for _, r := range s.Runs {
			runs++
			for _, f := range r.Faults {
				in := byIndex[f.Index]
				if in == nil {
					in = &info{kind: f.Kind, target: f.Target, targets: map[string]int{}}
					byIndex[f.Index] = in
				}
				t := strings.Join(f.Targets, ", ")
				if t == "" {
					t = "(none)"
				}
				if _, ok := in.targets[t]; !ok {
					in.order = append(in.order, t)
				}
				in.targets[t]++
				if r.Replication == o.Replication {
					k := faultKey{f.Index, float64(f.StartS), endOf(f, doc.DurationS)}
					if !seen[k] {
						seen[k] = true
						in.windows = append(in.windows, k)
					}
				}
			}
		}
	}
	if len(byIndex) == 0 {
		v.Empty = "This scenario injects no faults."
		return v
	}
	indices := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indices = append(indices, i)
	}
	slices.Sort(indices)
	var rows []timelineRow
	for _, i := range indices {
		in := byIndex[i]
		slices.SortFunc(in.windows, func(a, b faultKey) int {
			if a.start != b.start {
				return cmp.Compare(a.start, b.start)
			}
			return cmp.Compare(a.end, b.end)
		})
		var ws []string
		var tw [][2]float64
		for _, w := range in.windows {
			end := formatSeconds(w.end)
			if w.end >= doc.DurationS {
				end += " (end of run)"
			}
			ws = append(ws, fmt.Sprintf("%s → %s", formatSeconds(w.start), end))
			tw = append(tw, [2]float64{w.start, w.end})
		}
		var ts []string
		for _, t := range in.order {
			ts = append(ts, fmt.Sprintf("%s (%d of %d runs)", t, in.targets[t], runs))
		}
		color := "rgba(" + colors[in.kind] + ",0.8)"
		v.Rows = append(v.Rows, faultRow{Index: i, Kind: in.kind, Target: in.target, Windows: strings.Join(ws, "; "), Targets: strings.Join(ts, "; "), Color: template.CSS(color)})
		rows = append(rows, timelineRow{Label: fmt.Sprintf("#%d %s", i, in.kind), Color: color, Windows: tw})
	}
	ref := cs.timelineChart(doc.DurationS, rows)
	v.Chart = &ref
	v.Caption = fmt.Sprintf("Fault windows of replication %d; the table lists which targets each fault hit across all %d runs.", o.Replication, runs)
	return v
}
