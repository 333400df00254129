package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

var writeSamples = flag.String("html-samples", "", "write the test reports into this directory to look at them")

const fixtureYAML = `
name: report-fixture
description: Two strategies, a crash and a pause, for the HTML report tests.
seed: 7
duration: 10m
warmup: 1m
replications: 3
topology:
  services: [{name: api, replicas: 4, concurrency: 2, service_time: {dist: exponential, mean: 50ms}}]
  clients: [{name: users, target: api, rate: 60/s, timeout: 1s}]
strategies:
  - {name: rr, routing: round-robin}
  - {name: random, routing: random}
faults:
  - {kind: crash, at: 2m, duration: 1m, target: {service: api, mode: one}}
  - {kind: pause, at: 6m, duration: 30s, target: {service: api, mode: count, value: 2}}
`

var (
	fixtureOnce sync.Once
	fixtureJSON []byte
	fixtureErr  error
)

// fixture is a full results document of a real run, extended with what
// later strategies will add — per-backend shares, churn, an SLO's burn
// rate with alert firings, checks and an audit trail — so every part of the
// report is exercised. Each call returns a fresh copy.
func fixture(t testing.TB) *Summary {
	t.Helper()
	fixtureOnce.Do(func() {
		sc, err := scenarios.Parse("fixture.yaml", []byte(fixtureYAML))
		if err != nil {
			fixtureErr = err
			return
		}
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
		if err != nil {
			fixtureErr = err
			return
		}
		doc := NewResults(res, Meta{Version: "test", Rerun: "tangle run fixture.yaml --seed 7 --replications 3"})
		extend(doc)
		var buf bytes.Buffer
		fixtureErr = WriteJSON(&buf, doc)
		fixtureJSON = buf.Bytes()
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	doc, err := ReadResults(bytes.NewReader(fixtureJSON))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// extend adds synthetic columns, checks and audit rows to a results
// document.
func extend(doc *Summary) {
	for si := range doc.Strategies {
		s := &doc.Strategies[si]
		for ri := range s.Runs {
			r := &s.Runs[ri]
			sd := r.Series
			n := len(sd.Time)
			share := [3][]Float{make([]Float, n), make([]Float, n), make([]Float, n)}
			churn, burn := make([]Float, n), make([]Float, n)
			for k := range n {
				t := float64(sd.Time[k])
				a := 0.4 + 0.1*math.Sin(t/40+float64(si))
				b := 0.35
				if t > 120 && t < 180 {
					a = 0.05 // a crashed backend loses its traffic
				}
				share[0][k], share[1][k], share[2][k] = Float(a), Float(b), Float(1-a-b)
				churn[k] = Float(0.02 * float64(k%7))
				burn[k] = Float(0.5)
				if t > 120 && t < 200 {
					burn[k] = Float(14 + float64(si)*3)
				}
			}
			for i, name := range []string{"share:east", "share:west", "share:edge-pop"} {
				sd.Columns = append(sd.Columns, ColumnDoc{Name: name, Unit: "ratio"})
				sd.Values[name] = share[i]
			}
			sd.Columns = append(sd.Columns, ColumnDoc{Name: "routing_churn", Unit: "1/s"}, ColumnDoc{Name: "burn_rate:availability", Unit: ""})
			sd.Values["routing_churn"], sd.Values["burn_rate:availability"] = churn, burn
			for k := range 80 {
				r.Audit = append(r.Audit, AuditDoc{
					TimeS: Float(10 * float64(k+1)), Actor: "controller/edge-1", Decision: fmt.Sprintf("weights east=%.1f west=%.1f", 0.5+0.01*float64(k%10), 0.5-0.01*float64(k%10)),
					Inputs:  []AuditInput{{Signal: "load/api-0", Value: Float(k % 5), AgeS: 1.5}, {Signal: "latency/east", Value: 0.042, AgeS: 0.2}},
					Outcome: "applied",
				})
			}
		}
	}
	doc.Verdict = "fail"
	doc.Checks = []CheckDoc{
		{Name: "latency_p99 <= 5s", Kind: "threshold", Strategy: "rr", Metric: "latency_p99", Op: "<=", Threshold: 5, Value: 0.21, Passed: true},
		{Name: "latency_p99 <= 5s", Kind: "threshold", Strategy: "random", Metric: "latency_p99", Op: "<=", Threshold: 5, Value: 0.35, Passed: true},
		{Name: "availability", Kind: "slo", Strategy: "rr", Metric: "route_success_rate", Op: ">=", Threshold: 0.999, Value: 0.9987, Passed: false,
			Detail: "error budget exhausted", Alerts: []AlertDoc{
				{Severity: "page", LongWindowS: 3600, ShortWindowS: 300, BurnRate: 14.4, FiredS: []Float{135, 160}, DetectionS: 15},
				{Severity: "ticket", LongWindowS: 21600, ShortWindowS: 1800, BurnRate: 6, FiredS: []Float{}, DetectionS: Float(math.NaN())},
			}},
		{Name: "availability", Kind: "slo", Strategy: "random", Metric: "route_success_rate", Op: ">=", Threshold: 0.999, Value: 0.9991, Passed: true,
			Alerts: []AlertDoc{{Severity: "page", LongWindowS: 3600, ShortWindowS: 300, BurnRate: 14.4, FiredS: []Float{140}, DetectionS: 20}}},
	}
}

// sweepFixture is a 4 × 3 grid over two parameters, two strategies per
// point, with a constraint some cells break.
func sweepFixture() *SweepDoc {
	doc := &SweepDoc{
		SchemaVersion: SchemaVersion, Kind: "sweep", Tool: Tool{Name: "tangle", Version: "test"},
		Scenario: ScenarioInfo{Name: "stale-herd", Description: "Sweep of the hysteresis band and signal TTL."}, Seed: 42, Replications: 5,
		Params:    []string{"strategies[0].params.ttl", "strategies[0].params.band"},
		Objective: "minimize error_budget_burn_rate", Constraints: []string{"routing_churn <= 0.1"},
		Rerun: "tangle sweep stale-herd.yaml --param ttl=1s,5s,10s,30s --param band=0.05,0.1,0.2",
	}
	i := 0
	for _, ttl := range []string{"1s", "5s", "10s", "30s"} {
		for bi, band := range []string{"0.05", "0.1", "0.2"} {
			for si, strat := range []string{"hysteresis", "ewma"} {
				burn := 0.5 + 0.3*float64(bi) + 0.1*float64(len(ttl)) + 0.2*float64(si)
				churn := 0.04 + 0.05*float64(2-bi) + 0.01*float64(si)
				doc.Cells = append(doc.Cells, SweepCell{
					Index: i, Values: map[string]string{"strategies[0].params.ttl": ttl, "strategies[0].params.band": band}, Strategy: strat,
					Metrics: map[string]MetricStat{
						"error_budget_burn_rate": {Unit: "", Better: "lower", Mean: Float(burn), CI95Low: Float(burn - 0.05), CI95Hi: Float(burn + 0.05), N: 5},
						"routing_churn":          {Unit: "1/s", Better: "lower", Mean: Float(churn), CI95Low: Float(churn - 0.01), CI95Hi: Float(churn + 0.01), N: 5},
					},
					Feasible: churn <= 0.1,
					Rerun:    fmt.Sprintf("tangle run stale-herd.yaml --set ttl=%s --set band=%s", ttl, band),
				})
				i++
			}
		}
	}
	// rank the feasible cells by burn rate
	var order []int
	for k, c := range doc.Cells {
		if c.Feasible {
			order = append(order, k)
		}
	}
	for a := range order {
		for b := a + 1; b < len(order); b++ {
			if doc.Cells[order[b]].Metrics["error_budget_burn_rate"].Mean < doc.Cells[order[a]].Metrics["error_budget_burn_rate"].Mean {
				order[a], order[b] = order[b], order[a]
			}
		}
	}
	for r, k := range order {
		doc.Cells[k].Rank = r + 1
	}
	return doc
}

func renderHTML(t testing.TB, doc *Summary, o HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, doc, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func renderSweep(t testing.TB, doc *SweepDoc, o HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSweepHTML(&buf, doc, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func sample(t *testing.T, name, html string) {
	if *writeSamples == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(*writeSamples, name), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chartSpecs decodes the page's chart descriptions.
func chartSpecs(t *testing.T, html string) []chartSpec {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="tangle-charts">(.*?)</script>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no chart data in the page")
	}
	var specs []chartSpec
	if err := json.Unmarshal([]byte(m[1]), &specs); err != nil {
		t.Fatalf("chart data: %v", err)
	}
	return specs
}

// TestHTMLDeterministic: the same document renders to the same bytes,
// also after a JSON round trip (what `tangle report` reads).
func TestHTMLDeterministic(t *testing.T) {
	doc := fixture(t)
	a := renderHTML(t, doc, HTMLOptions{})
	b := renderHTML(t, fixture(t), HTMLOptions{})
	if a != b {
		t.Fatal("two renders of one document differ")
	}
	var js bytes.Buffer
	WriteJSON(&js, doc)
	back, err := ReadResults(&js)
	if err != nil {
		t.Fatal(err)
	}
	if c := renderHTML(t, back, HTMLOptions{}); c != a {
		t.Fatal("render after a JSON round trip differs")
	}
	s1, s2 := renderSweep(t, sweepFixture(), HTMLOptions{}), renderSweep(t, sweepFixture(), HTMLOptions{})
	if s1 != s2 {
		t.Fatal("two renders of one sweep differ")
	}
	sample(t, "report.html", a)
	sample(t, "sweep.html", s1)
}

// TestHTMLContents checks each part of the report is there, verdict first.
func TestHTMLContents(t *testing.T) {
	html := renderHTML(t, fixture(t), HTMLOptions{AuditRows: 10})
	order := []string{
		`<h1>report-fixture</h1>`, "Two strategies, a crash and a pause",
		"tangle run fixture.yaml --seed 7 --replications 3",
		`id="verdict"`, "✗ FAIL", "1 of 4 checks and SLOs failed", "page alert (burn rate ≥ 14.4 over 1h and 5m): fired 2× (first at 2m15s), detected 15s after onset",
		"ticket alert (burn rate ≥ 6 over 6h and 30m): never fired",
		`id="comparison"`, "route_success_rate", "latency_p99",
		`id="distributions"`, `id="faults"`, "crash", "2m → 3m", "pause", "6m → 6m30s",
		`id="series"`, "Traffic share by backend",
		`id="audit"`, "first 10 of 80 decisions", "load/api-0 = 4 (age 1.5s)",
	}
	pos := 0
	for _, want := range order {
		i := strings.Index(html[pos:], want)
		if i < 0 {
			t.Fatalf("%q missing (or out of order) after byte %d", want, pos)
		}
		pos += i
	}
	if strings.Contains(html, "<script src=") != !EChartsEmbedded() {
		t.Errorf("CDN script present = %v with the asset embedded = %v", strings.Contains(html, "<script src="), EChartsEmbedded())
	}

	specs := chartSpecs(t, html)
	kinds := map[string]int{}
	var titles []string
	for _, s := range specs {
		kinds[s.Kind]++
		if title, ok := s.Option["title"].(map[string]any)["text"].(string); ok {
			titles = append(titles, title)
		}
	}
	// 4 core time charts + churn, load imbalance, ejections + burn rate,
	// 2 share charts; box plots;
	// one fault timeline.
	if kinds["time"] != 10 || kinds["timeline"] != 1 || kinds["box"] < 4 {
		t.Errorf("chart kinds %v; titles %q", kinds, titles)
	}
	all := strings.Join(titles, "\n")
	for _, want := range []string{"Throughput", "Success rate", "Latency: p99 (solid) and p50 (dashed), log scale", "In flight", "routing_churn", "Error-budget burn rate of SLO availability", "Traffic share by backend — rr", "Traffic share by backend — random"} {
		if !strings.Contains(all, want) {
			t.Errorf("no chart titled %q in\n%s", want, all)
		}
	}
	for _, s := range specs {
		id := regexp.MustCompile(`^c[0-9]+$`)
		if !id.MatchString(s.ID) || !strings.Contains(html, `id="`+s.ID+`"`) {
			t.Errorf("chart %q has no fixed ID or no element", s.ID)
		}
	}
	// fault windows are shaded on time charts; alert firings are marked on
	// the burn-rate chart.
	raw := regexp.MustCompile(`(?s)<script type="application/json" id="tangle-charts">(.*?)</script>`).FindStringSubmatch(html)[1]
	for _, want := range []string{`"markArea":{"data":[[{"itemStyle":{"color":"rgba(0,0,0,0.05)"},"name":"warmup","xAxis":0},{"xAxis":60000}],[{"itemStyle":{"color":"rgba(238,102,102,0.16)"},"name":"crash","xAxis":120000},{"xAxis":180000}]`,
		`"markLine":{"data":[{"name":"page","xAxis":135000},{"name":"page","xAxis":160000}]`} {
		if !strings.Contains(raw, want) {
			t.Errorf("chart data lacks %s", want)
		}
	}
	// box plots carry [min, Q1, median, Q3, max] of the replications.
	doc := fixture(t)
	vals := finite(doc.Strategies[0].Metrics["throughput"].Values)
	bx := boxStats(vals)
	for _, s := range specs {
		if s.Kind == "box" && s.Option["title"].(map[string]any)["text"] == "throughput" {
			got := s.Option["series"].([]any)[0].(map[string]any)["data"].([]any)[0].(map[string]any)["value"].([]any)
			for k := range 5 {
				if got[k].(float64) != roundSig(bx[k], 5) {
					t.Errorf("throughput box %v, want %v", got, bx)
				}
			}
		}
	}
}

func TestBoxStats(t *testing.T) {
	got := boxStats([]float64{5, 1, 4, 2, 3})
	if got != [5]float64{1, 2, 3, 4, 5} {
		t.Errorf("boxStats(1..5) = %v", got)
	}
	got = boxStats([]float64{10, 20, 30, 40, 50, 60, 70, 80})
	if got != [5]float64{10, 20, 40, 60, 80} {
		t.Errorf("boxStats(10..80) = %v", got)
	}
	if n := boxStats(nil); !math.IsNaN(n[2]) {
		t.Errorf("boxStats(nil) = %v", n)
	}
}

// TestHTMLBestIsDirectionAware: the best mark follows the metric's
// direction from the catalogue, and neutral metrics are not ranked.
func TestHTMLBestIsDirectionAware(t *testing.T) {
	doc := fixture(t)
	set := func(name string, a, b float64) {
		for i, v := range []float64{a, b} {
			doc.Strategies[i].Metrics[name] = MetricStat{Unit: "s", Better: "neutral", Mean: Float(v), CI95Low: Float(v - 0.001), CI95Hi: Float(v + 0.001), N: 3, Values: []Float{Float(v), Float(v), Float(v)}}
		}
	}
	set("latency_p99", 0.5, 0.2)            // answered requests only, and the success rates differ: not ranked
	set("effective_latency_p99", 0.5, 0.2)  // lower is better: random
	set("throughput", 10, 20)               // higher is better: random
	set("request_rate", 10, 20)             // neutral
	set("route_success_rate", 0.99, 0.98)   // higher: rr
	set("routing_churn", 0.1, 0.1)          // equal: no mark
	set("cost_per_request", 0.1, 0.1000001) // within noise: no mark
	doc.Strategies[1].Metrics["cost_per_request"] = MetricStat{Mean: 0.1000001, N: 3, Values: []Float{0.1000003, 0.0999999, 0.1000001}}
	cmp := newCompare(doc)
	best := map[string]int{}
	for _, r := range cmp.Rows {
		best[r.Metric] = -1
		for i, c := range r.Cells {
			if c.Best {
				best[r.Metric] = i
			}
		}
	}
	for name, want := range map[string]int{"latency_p99": -1, "effective_latency_p99": 1, "throughput": 1, "request_rate": -1, "route_success_rate": 0, "routing_churn": -1, "cost_per_request": -1} {
		if best[name] != want {
			t.Errorf("%s: best is strategy %d, want %d", name, best[name], want)
		}
	}
}

// TestHTMLEscapesUserStrings puts markup into every user-supplied string
// and checks it comes out as text, never as markup or script.
func TestHTMLEscapesUserStrings(t *testing.T) {
	const evil = `</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	doc := fixture(t)
	doc.Scenario.Name = `x{"name": "</script><script>window.pwned=4</script>", "a": '\u003c'}` + evil
	doc.Scenario.Description = `"'</script>` + evil + `__f__alert(1)__f__`
	doc.Strategies[0].Name = `rr</script><b>` + evil
	doc.Strategies[0].Params = map[string]string{"k</script>": `v"'<i>`}
	doc.Strategies[0].Runs[0].Faults[0].Kind = "crash" + evil
	doc.Strategies[0].Runs[0].Faults[0].Target = "{service: api}" + evil
	doc.Strategies[0].Runs[0].Faults[0].Targets = []string{`api-0"><script>window.pwned=3</script>`}
	doc.Strategies[0].Runs[0].Audit[0].Actor = evil
	doc.Strategies[0].Runs[0].Audit[0].Decision = `{"weights": "</script>"}` + evil
	doc.Strategies[0].Runs[0].Series.Columns = append(doc.Strategies[0].Runs[0].Series.Columns, ColumnDoc{Name: "share:" + evil, Unit: "ratio"})
	doc.Strategies[0].Runs[0].Series.Values["share:"+evil] = doc.Strategies[0].Runs[0].Series.Values["share:east"]
	doc.Checks[0].Name, doc.Checks[0].Detail = evil, evil
	doc.Rerun = "tangle run '" + evil + "'"
	html := renderHTML(t, doc, HTMLOptions{})
	sample(t, "evil.html", html)
	checkInert(t, html)

	sw := sweepFixture()
	sw.Scenario.Name = evil
	sw.Params[0] = "ttl" + evil
	for i := range sw.Cells {
		sw.Cells[i].Values["ttl"+evil] = sw.Cells[i].Values["strategies[0].params.ttl"] + evil
		sw.Cells[i].Strategy += evil
	}
	sw.Objective = "minimize error_budget_burn_rate" + evil
	sweepHTML := renderSweep(t, sw, HTMLOptions{})
	sample(t, "evil-sweep.html", sweepHTML)
	checkInert(t, sweepHTML)
}

// checkInert checks the page's only script elements are its own: the
// library, the chart data and report.js, and no user string became an
// element or attribute.
func checkInert(t *testing.T, html string) {
	t.Helper()
	if echarts != "" {
		html = strings.Replace(html, echarts, "ECHARTS", 1)
	}
	lower := strings.ToLower(html)
	if n := strings.Count(lower, "<script"); n != 3 {
		t.Errorf("%d <script elements, want 3 (ECharts, chart data, report.js)", n)
	}
	for _, bad := range []string{"<img", `onerror="window`, "</script><b>", "<i>", "window.pwned=1</script>", "window.pwned=4</script>", "zgotmplz", "__f__alert(1)__f__\""} {
		if strings.Contains(lower, strings.ToLower(bad)) {
			t.Errorf("output contains %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;") {
		t.Error("the scenario name is not shown as escaped text")
	}
	// JSON data keeps < and > escaped so it cannot end its element.
	raw := regexp.MustCompile(`(?s)<script type="application/json" id="tangle-charts">(.*?)</script>`).FindStringSubmatch(html)
	if raw == nil || strings.ContainsAny(raw[1], "<>") {
		t.Error("chart data contains raw < or >")
	}
}

// TestHTMLSummaryOnly: a summary document (no runs) renders the verdict,
// table and distributions, and says what is missing.
func TestHTMLSummaryOnly(t *testing.T) {
	doc := fixture(t)
	for i := range doc.Strategies {
		doc.Strategies[i].Runs = nil
	}
	html := renderHTML(t, doc, HTMLOptions{})
	for _, want := range []string{`id="verdict"`, `id="comparison"`, `id="distributions"`, "summary document without per-run data"} {
		if !strings.Contains(html, want) {
			t.Errorf("summary report lacks %q", want)
		}
	}
	for _, absent := range []string{`id="series"`, `id="faults"`, `id="audit"`} {
		if strings.Contains(html, absent) {
			t.Errorf("summary report has %s", absent)
		}
	}
}

// TestHTMLNoChecksSaysSo: without checks the verdict says so plainly.
func TestHTMLNoChecksSaysSo(t *testing.T) {
	doc := fixture(t)
	doc.Checks, doc.Verdict = nil, "none"
	html := renderHTML(t, doc, HTMLOptions{})
	if !strings.Contains(html, "— NO CHECKS") || !strings.Contains(html, "this scenario declares no checks or SLOs") {
		t.Error("a report without checks does not say so")
	}
}

// TestHTMLDownsamplesLongRuns: a long run at a fine interval is plotted
// with about MaxPoints points per line, and the file stays small.
func TestHTMLDownsamplesLongRuns(t *testing.T) {
	doc := fixture(t)
	const n = 50_000
	for si := range doc.Strategies {
		for ri := range doc.Strategies[si].Runs {
			sd := doc.Strategies[si].Runs[ri].Series
			sd.Time = make([]Float, n)
			for k := range n {
				sd.Time[k] = Float(k + 1)
			}
			for _, c := range sd.Columns {
				vals := make([]Float, n)
				for k := range vals {
					vals[k] = Float(1 + 0.1*math.Sin(float64(k)/100) + 0.01*float64(k%13))
				}
				vals[31_337] = 50
				sd.Values[c.Name] = vals
			}
		}
	}
	doc.DurationS = n
	html := renderHTML(t, doc, HTMLOptions{})
	for _, s := range chartSpecs(t, html) {
		if s.Kind != "time" {
			continue
		}
		for _, ser := range s.Option["series"].([]any) {
			data, _ := ser.(map[string]any)["data"].([]any)
			if len(data) > 2002 {
				t.Errorf("chart %s series %v has %d points", s.ID, ser.(map[string]any)["name"], len(data))
			}
		}
	}
	size := len(html) - len(echarts)
	if size > 2_500_000 {
		t.Errorf("report without the library is %d bytes", size)
	}
	if !strings.Contains(html, "[31338000,50]") {
		t.Error("the spike at t=31338s was lost")
	}
}

func TestSweepHTML(t *testing.T) {
	doc := sweepFixture()
	html := renderSweep(t, doc, HTMLOptions{})
	for _, want := range []string{"<h1>stale-herd</h1>", "minimize error_budget_burn_rate", `id="heatmap"`, `id="ranking"`,
		`<table class="ranking sortable">`, "24 cells,", "tangle run stale-herd.yaml --set ttl=1s --set band=0.05"} {
		if !strings.Contains(html, want) {
			t.Errorf("sweep report lacks %q", want)
		}
	}
	specs := chartSpecs(t, html)
	if len(specs) != 1 || specs[0].Kind != "heatmap" {
		t.Fatalf("sweep charts %+v", specs)
	}
	h := specs[0].Option
	xs := h["xAxis"].([]any)[0].(map[string]any)["data"].([]any)
	ys := h["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
	if fmt.Sprint(xs) != "[1s 5s 10s 30s]" || fmt.Sprint(ys) != "[0.05 0.1 0.2]" {
		t.Errorf("heatmap axes %v × %v", xs, ys)
	}
	series := h["series"].([]any)
	feasible := series[0].(map[string]any)["data"].([]any)
	infeasible := series[1].(map[string]any)["data"].([]any)
	if len(feasible)+len(infeasible) != 12 {
		t.Errorf("%d + %d heatmap cells, want 12", len(feasible), len(infeasible))
	}
	// band 0.05 breaks the churn constraint for every ttl: infeasible row.
	for _, c := range infeasible {
		if c.([]any)[1].(float64) != 0 {
			t.Errorf("infeasible cell %v outside the band=0.05 row", c)
		}
	}
	// the best (hysteresis) cell at ttl=1s, band=0.1: burn 0.5+0.3+0.2 = 1.0
	if fmt.Sprint(feasible[0]) != "[0 1 1]" {
		t.Errorf("first feasible cell %v, want [0 1 1]", feasible[0])
	}
	// the first ranking row is rank 1.
	if i := strings.Index(html, `<td class="num" data-sort="1">1</td>`); i < 0 || i > strings.Index(html, `data-sort="1000000000"`) {
		t.Error("the ranking table does not start with rank 1 and end with the infeasible cells")
	}
	// choosing the heatmap's parameters
	var buf bytes.Buffer
	if err := WriteSweepHTML(&buf, doc, HTMLOptions{Heatmap: [2]string{"strategies[0].params.band", "strategies[0].params.ttl"}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSweepHTML(&buf, doc, HTMLOptions{Heatmap: [2]string{"nope", ""}}); err == nil || !strings.Contains(err.Error(), "not swept") {
		t.Errorf("an unknown heatmap parameter gave %v", err)
	}
}

func TestReadDocumentTellsKinds(t *testing.T) {
	var buf bytes.Buffer
	WriteJSON(&buf, sweepFixture())
	sum, sw, err := ReadDocument(&buf)
	if err != nil || sum != nil || sw == nil || len(sw.Cells) != 24 {
		t.Fatalf("sweep: %v %v %v", sum, sw, err)
	}
	sum, sw, err = ReadDocument(bytes.NewReader(fixtureJSON))
	if err != nil || sum == nil || sw != nil {
		t.Fatalf("results: %v %v %v", sum, sw, err)
	}
	if _, _, err := ReadDocument(strings.NewReader("name: x\n")); err == nil {
		t.Fatal("YAML accepted as a results document")
	}
}

// TestEChartsPin: package.json pins the version the CDN fallback names,
// and an embedded library is that version, safe to inline.
func TestEChartsPin(t *testing.T) {
	pkg, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Dependencies map[string]string }
	if err := json.Unmarshal(pkg, &p); err != nil {
		t.Fatal(err)
	}
	if p.Dependencies["echarts"] != echartsPinned {
		t.Errorf("package.json pins echarts %q, reports/html_assets.go %q", p.Dependencies["echarts"], echartsPinned)
	}
	if !EChartsEmbedded() {
		t.Skip("built without the ECharts asset (run `make assets`)")
	}
	if v := echartsVersion(); v != echartsPinned {
		t.Errorf("embedded echarts %s, pinned %s: run `make assets`", v, echartsPinned)
	}
	lower := strings.ToLower(echarts)
	if strings.Contains(lower, "</script") || strings.Contains(lower, "<!--") {
		t.Error("echarts.min.js contains </script or <!--: it cannot be inlined")
	}
	if !strings.Contains(echarts[:200], "Licensed to the Apache Software Foundation") {
		t.Error("echarts.min.js lost its license header")
	}
	if len(thirdPartyNotices()) != 4 {
		t.Errorf("%d third-party notices, want 4", len(thirdPartyNotices()))
	}
}

func TestDisplayFormats(t *testing.T) {
	for _, c := range []struct {
		x          float64
		unit, want string
	}{
		{0.0898, "s", "89.8 ms"}, {12.5, "s", "12.5 s"}, {4e-5, "s", "40 µs"}, {0.999, "ratio", "99.9%"},
		{3.6, "1/s", "3.6/s"}, {8.979, "requests", "8.979 requests"}, {2, "", "2"}, {math.NaN(), "s", "—"},
	} {
		if got := formatQuantity(c.x, c.unit); got != c.want {
			t.Errorf("formatQuantity(%g, %q) = %q, want %q", c.x, c.unit, got, c.want)
		}
	}
	for _, c := range []struct {
		s    float64
		want string
	}{{0, "0s"}, {45, "45s"}, {150, "2m30s"}, {300, "5m"}, {3600, "1h"}, {3900, "1h5m"}, {432000, "5d"}, {97200, "1d3h"}, {0.25, "250 ms"}} {
		if got := formatSeconds(c.s); got != c.want {
			t.Errorf("formatSeconds(%g) = %q, want %q", c.s, got, c.want)
		}
	}
	for d, want := range map[float64]float64{10: 1, 600: 60, 3600: 600, 432000: 43200, 30: 5} {
		if got := niceStep(d); got != want {
			t.Errorf("niceStep(%g) = %g, want %g", d, got, want)
		}
	}
}
