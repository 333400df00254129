package reports

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

var (
	graphOnce sync.Once
	graphJSON []byte
	graphErr  error
)

// graphFixture is the results document of the built-in
// retry-amplification (one replication): three strategies on a
// users → frontend → orders → db graph, db degraded from 2m to 3m. Each
// call returns a fresh copy.
func graphFixture(t testing.TB) *Summary {
	t.Helper()
	graphOnce.Do(func() {
		sc, err := scenarios.Builtin("retry-amplification")
		if err != nil {
			graphErr = err
			return
		}
		sc.Replications = 1
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
		if err != nil {
			graphErr = err
			return
		}
		var buf bytes.Buffer
		graphErr = WriteJSON(&buf, NewResults(res, Meta{Version: "test", Rerun: "tangle run retry-amplification --replications 1"}))
		graphJSON = buf.Bytes()
	})
	if graphErr != nil {
		t.Fatal(graphErr)
	}
	doc, err := ReadResults(bytes.NewReader(graphJSON))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestHTMLGraph: a scenario with calls gets a service-graph picture per
// strategy, laid out in columns by call depth, coloured by health over
// the fault window, the faulted service marked; and each strategy's
// per-service and per-edge series, replica counts included.
func TestHTMLGraph(t *testing.T) {
	doc := graphFixture(t)
	html := renderHTML(t, doc, HTMLOptions{})
	sample(t, "graph.html", html)
	if !strings.Contains(html, `<section id="graph">`) || !strings.Contains(html, `href="#graph"`) {
		t.Fatal("no service graph section or navigation entry")
	}
	if strings.Index(html, `<section id="graph">`) > strings.Index(html, `<section id="series">`) {
		t.Error("the graph comes after the time series")
	}
	var pictures []chartSpec
	series := map[string]int{}
	for _, s := range chartSpecs(t, html) {
		switch s.Kind {
		case "graph":
			pictures = append(pictures, s)
		case "time":
			title := s.Option["title"].(map[string]any)["text"].(string)
			if strings.HasPrefix(title, "Per-") {
				if i := strings.LastIndex(title, " ["); i > 0 { // the unit
					title = title[:i]
				}
				series[title]++
			}
		}
	}
	if len(pictures) != len(doc.Strategies) {
		t.Fatalf("%d graph pictures for %d strategies", len(pictures), len(doc.Strategies))
	}
	for _, s := range doc.Strategies {
		for _, want := range []string{"Per-service request rate", "Per-service success rate", "Per-service latency p99", "Per-service replicas up",
			"Per-edge request rate", "Per-edge success rate", "Per-edge latency p99", "Per-edge attempts per call"} {
			if series[want+" — "+s.Name] != 1 {
				t.Errorf("%s: no chart %q", s.Name, want)
			}
		}
	}
	// every-layer: users → frontend → orders → db in columns 0 to 3; db
	// is the fault target; retries fail most of frontend's requests
	// during the fault (red), and amplify orders → db.
	sr := pictures[0].Option["series"].([]any)[0].(map[string]any)
	nodes := map[string]map[string]any{}
	for _, n := range sr["data"].([]any) {
		m := n.(map[string]any)
		nodes[m["name"].(string)] = m
	}
	for name, col := range map[string]float64{"users": 0, "frontend": 1, "orders": 2, "db": 3} {
		n, ok := nodes[name]
		if !ok {
			t.Fatalf("no node %s", name)
		}
		if x := n["value"].([]any)[0].(float64); x != col {
			t.Errorf("%s in column %g, want %g", name, x, col)
		}
	}
	style := func(name string) map[string]any { return nodes[name]["itemStyle"].(map[string]any) }
	if style("db")["borderType"] != "dashed" || !strings.HasPrefix(nodes["db"]["text"].(string), "⚡") {
		t.Errorf("db, the fault's target, is not marked: %v %q", style("db"), nodes["db"]["text"])
	}
	if style("orders")["borderType"] != nil || strings.Contains(nodes["orders"]["text"].(string), "⚡") {
		t.Errorf("orders is marked as a fault target: %v", style("orders"))
	}
	if c := style("frontend")["color"]; c != healthColors.failing {
		t.Errorf("every-layer frontend during the fault is %v, want red %s", c, healthColors.failing)
	}
	var amplified bool
	for _, l := range sr["links"].([]any) {
		m := l.(map[string]any)
		if text := m["text"].(string); strings.HasSuffix(text, "×/call") && !strings.HasPrefix(text, "1×") {
			amplified = true
		}
	}
	if !amplified {
		t.Error("no every-layer edge is labelled with more than one attempt per call")
	}
	// a document without calls draws no graph
	if plain := renderHTML(t, fixture(t), HTMLOptions{}); strings.Contains(plain, `<section id="graph">`) {
		t.Error("a scenario without calls has a service graph section")
	}
}

// The graph's bytes depend on the document only.
func TestHTMLGraphDeterministic(t *testing.T) {
	a := renderHTML(t, graphFixture(t), HTMLOptions{})
	if b := renderHTML(t, graphFixture(t), HTMLOptions{}); a != b {
		t.Fatal("two renders of one graph document differ")
	}
}

func TestHealthColor(t *testing.T) {
	for _, c := range []struct {
		success, n float64
		want       string
	}{
		{1, 10, healthColors.healthy}, {0.99, 10, healthColors.healthy}, {0.9899, 10, healthColors.degraded},
		{0.9, 10, healthColors.degraded}, {0.8999, 10, healthColors.failing}, {0, 10, healthColors.failing},
		{math.NaN(), 0, healthColors.idle}, {1, 0, healthColors.idle},
	} {
		if got := healthColor(c.success, c.n); got != c.want {
			t.Errorf("healthColor(%g, %g) = %s, want %s", c.success, c.n, got, c.want)
		}
	}
}

// depths puts a service one column right of its deepest caller.
func TestGraphDepths(t *testing.T) {
	g := &GraphDoc{
		Services: []GraphFlowDoc{{Name: "c"}, {Name: "b"}, {Name: "a"}, {Name: "lone"}},
		Edges: []GraphFlowDoc{
			{From: "u", To: "a", Entry: true}, {From: "v", To: "b", Entry: true},
			{From: "a", To: "c"}, {From: "a", To: "b"}, {From: "b", To: "c"},
		},
	}
	got := depths(g)
	for name, want := range map[string]int{"a": 1, "b": 2, "c": 3, "lone": 1} {
		if got[name] != want {
			t.Errorf("depth of %s = %d, want %d", name, got[name], want)
		}
	}
}

// totals sums the buckets whose middle lies in the phase, weighting rates
// by bucket width; NaN buckets count nothing.
func TestGraphTotals(t *testing.T) {
	nan := Float(math.NaN())
	g := &GraphDoc{Time: []Float{10, 20, 30, 40}}
	f := &GraphFlowDoc{Series: []GraphSeriesDoc{
		{Name: "request_rate", Values: []Float{1, 2, 3, 0}},
		{Name: "success_rate", Values: []Float{1, 0.5, 1, nan}},
		{Name: "latency_p99", Values: []Float{0.1, 0.4, 0.2, nan}},
		{Name: "attempts_per_call", Values: []Float{1, 2, 1, nan}},
		{Name: "timeouts", Values: []Float{0, 3, 1, 0}},
	}}
	got := totals(g, f, phase{windows: [][2]float64{{12, 31}}}) // buckets 2 and 3 (middles 15, 25)
	want := flowTotals{n: 50, ok: 10 + 30, attempts: 40 + 30, timeouts: 4, worstP99: 0.4}
	if got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	if s := got.success(); s != 0.8 {
		t.Errorf("success %g, want 0.8", s)
	}
	none := totals(g, f, phase{windows: [][2]float64{{100, 200}}})
	if none.n != 0 || !math.IsNaN(none.success()) || !math.IsNaN(none.perCall()) || !math.IsNaN(none.worstP99) {
		t.Errorf("empty phase: %+v", none)
	}
}

// Service, client and edge names reach the graph only as escaped JSON
// or escaped text.
func TestHTMLGraphEscapesNames(t *testing.T) {
	const evil = `</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	doc := graphFixture(t)
	doc.Scenario.Name = evil
	doc.Strategies[0].Name = `rr</script><b>` + evil
	g := doc.Strategies[0].Runs[0].Graph
	rename := func(s string) string {
		if s == "" {
			return ""
		}
		return s + evil
	}
	for i := range g.Services {
		g.Services[i].Name = rename(g.Services[i].Name)
		for k := range g.Services[i].Replicas {
			g.Services[i].Replicas[k] = rename(g.Services[i].Replicas[k])
		}
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		e.Name, e.From, e.To = rename(e.Name), rename(e.From), rename(e.To)
	}
	for i := range doc.Strategies[0].Runs[0].Faults {
		f := &doc.Strategies[0].Runs[0].Faults[i]
		for k := range f.Targets {
			f.Targets[k] = rename(f.Targets[k])
		}
	}
	html := renderHTML(t, doc, HTMLOptions{})
	checkInert(t, html)
	found := false
	for _, s := range chartSpecs(t, html) {
		if s.Kind != "graph" {
			continue
		}
		for _, n := range s.Option["series"].([]any)[0].(map[string]any)["data"].([]any) {
			found = found || n.(map[string]any)["name"] == "db"+evil
		}
	}
	if !found {
		t.Error("the renamed db is not in the chart data")
	}
}

// A client entering through an edge gateway says so on its node.
func TestHTMLGraphGateway(t *testing.T) {
	label := func(doc *Summary) string {
		for _, s := range chartSpecs(t, renderHTML(t, doc, HTMLOptions{})) {
			if s.Kind == "graph" {
				for _, n := range s.Option["series"].([]any)[0].(map[string]any)["data"].([]any) {
					if m := n.(map[string]any); m["name"] == "users" {
						return m["text"].(string)
					}
				}
			}
		}
		return ""
	}
	doc := graphFixture(t)
	if l := label(doc); strings.Contains(l, "edge") {
		t.Errorf("users without a gateway labelled %q", l)
	}
	for si := range doc.Strategies {
		for i := range doc.Strategies[si].Runs[0].Graph.Edges {
			e := &doc.Strategies[si].Runs[0].Graph.Edges[i]
			e.Gateway = e.Entry
		}
	}
	if l := label(doc); !strings.HasPrefix(l, "users ⇢ edge") {
		t.Errorf("users through a gateway labelled %q", l)
	}
}

// Per-service and per-edge lines are downsampled to about
// min(MaxPoints, graphMaxPoints) points (LTTB's n, one more when the
// extremes share a bucket, and gap markers; as TestHTMLDownsamplesLongRuns
// allows).
func TestHTMLGraphSeriesDownsampled(t *testing.T) {
	doc := graphFixture(t)
	if n := len(doc.Strategies[0].Runs[0].Graph.Time); n <= 60 {
		t.Fatalf("the fixture has %d buckets: too few to downsample", n)
	}
	seen := 0
	for _, s := range chartSpecs(t, renderHTML(t, doc, HTMLOptions{MaxPoints: 60})) {
		if s.Kind != "time" {
			continue
		}
		title := s.Option["title"].(map[string]any)["text"].(string)
		if !strings.HasPrefix(title, "Per-") {
			continue
		}
		for _, sr := range s.Option["series"].([]any) {
			m := sr.(map[string]any)
			if data, ok := m["data"].([]any); ok && len(data) > 0 {
				seen++
				if len(data) > 62 {
					t.Errorf("%s / %s: %d points, want about 60", title, m["name"], len(data))
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no per-service or per-edge lines")
	}
}

func TestGraphPhaseUnion(t *testing.T) {
	got := union([][2]float64{{50, 70}, {10, 20}, {15, 30}, {30, 40}, {60, 65}})
	want := [][2]float64{{10, 40}, {50, 70}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("union = %v, want %v", got, want)
	}
}

// A declared edge gateway (topology.edges: a service standing for the edge)
// is drawn as a diamond labelled as an edge; services stay circles.
func TestHTMLGraphDeclaredEdge(t *testing.T) {
	node := func(doc *Summary, name string) map[string]any {
		for _, s := range chartSpecs(t, renderHTML(t, doc, HTMLOptions{})) {
			if s.Kind == "graph" {
				for _, n := range s.Option["series"].([]any)[0].(map[string]any)["data"].([]any) {
					if m := n.(map[string]any); m["name"] == name {
						return m
					}
				}
			}
		}
		t.Fatalf("no node %s", name)
		return nil
	}
	doc := graphFixture(t)
	first := doc.Strategies[0].Runs[0].Graph.Services[0].Name
	if n := node(doc, first); n["symbol"] != "circle" || strings.HasPrefix(n["text"].(string), "edge ") {
		t.Errorf("service %s drawn as %v %q", first, n["symbol"], n["text"])
	}
	for si := range doc.Strategies {
		doc.Strategies[si].Runs[0].Graph.Services[0].Gateway = true
	}
	if n := node(doc, first); n["symbol"] != "diamond" || !strings.HasPrefix(n["text"].(string), "edge "+first) {
		t.Errorf("edge gateway %s drawn as %v %q", first, n["symbol"], n["text"])
	}
}
