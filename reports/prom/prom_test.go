package prom_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/reports/prom"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func TestResponseOf(t *testing.T) {
	tests := []struct {
		o    topology.Outcome
		c    topology.Cause
		want prom.Response
	}{
		{topology.Success, topology.CauseNone, prom.Response{Code: 200, Flags: "-"}},
		{topology.Error, topology.CauseServerError, prom.Response{Code: 500, Flags: "-"}},
		{topology.Timeout, topology.CauseTimeout, prom.Response{Code: 504, Flags: "UT"}},
		{topology.Timeout, topology.CauseTryTimeout, prom.Response{Code: 504, Flags: "UT"}},
		{topology.Rejected, topology.CauseQueueFull, prom.Response{Code: 503, Flags: "UO"}},
		{topology.Rejected, topology.CauseCircuitOpen, prom.Response{Code: 503, Flags: "UO"}},
		{topology.Dropped, topology.CauseNoHost, prom.Response{Code: 503, Flags: "UH"}},
		{topology.Dropped, topology.CauseHostDown, prom.Response{Code: 503, Flags: "UF"}},
		{topology.Dropped, topology.CauseUnfinished, prom.Response{Code: 0, Flags: "DC"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, prom.ResponseOf(tt.o, tt.c), "%v/%v", tt.o, tt.c)
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		in   []float64
		want string
	}{
		{nil, ""},
		{[]float64{5}, "5"},
		{[]float64{1, 2}, "1 2"},
		{[]float64{0, 10, 20, 30}, "0+10x3"},
		{[]float64{3, 3, 3}, "3+0x2"},
		{[]float64{9, 6, 3, 0}, "9-3x3"},
		{[]float64{0, 1, 2, 7, 7, 7, 7}, "0+1x2 7+0x3"},
		{[]float64{0.5, 0.5, 0.5, 1.25}, "0.5+0x2 1.25"},
		{[]float64{0.1, 0.2, 0.3}, "0.1 0.2 0.3"}, // float steps are never accumulated
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, prom.Expand(tt.in), "%v", tt.in)
	}
}

// expandNaive is promtool's reading of the expanding notation, written
// out plainly: "a+bxn" is a, a+b, …, a+n·b.
func expandNaive(t *rapid.T, s string) []float64 {
	var out []float64
	for _, f := range strings.Fields(s) {
		x := strings.IndexByte(f, 'x')
		if x < 0 {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("bad value %q", f)
			}
			out = append(out, v)
			continue
		}
		n, _ := strconv.Atoi(f[x+1:])
		body := f[:x]
		sign := strings.LastIndexAny(body, "+-")
		a, _ := strconv.ParseFloat(body[:sign], 64)
		b, _ := strconv.ParseFloat(body[sign+1:], 64)
		if body[sign] == '-' {
			b = -b
		}
		for k := 0; k <= n; k++ {
			out = append(out, a+float64(k)*b)
		}
	}
	return out
}

func TestExpandRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vals := rapid.SliceOf(rapid.OneOf(
			rapid.Map(rapid.IntRange(-50, 50), func(i int) float64 { return float64(i) }),
			rapid.Map(rapid.IntRange(0, 8), func(i int) float64 { return float64(i) / 4 }),
		)).Draw(t, "values")
		got := expandNaive(t, prom.Expand(vals))
		if len(vals) == 0 {
			got = []float64{}
			vals = []float64{}
		}
		if fmt.Sprint(got) != fmt.Sprint(vals) {
			t.Fatalf("Expand(%v) = %q reads back as %v", vals, prom.Expand(vals), got)
		}
	})
}

// TestCollectorAgreesWithTheRun: the last scrape counts exactly the
// requests that ended by the horizon, histograms are cumulative and end in
// the count, counters never fall, and the replica and fault gauges follow
// the fault schedule.
func TestCollectorAgreesWithTheRun(t *testing.T) {
	sc, err := scenarios.Load("testdata/small.yaml")
	require.NoError(t, err)
	horizon := sc.Duration.T()
	type both struct {
		run   *prom.Run
		ended map[string]uint64 // by "client code flags"
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Attach: func(_ int, b *scenarios.Built) func() any {
		c := prom.Attach(b.World, prom.Config{Scrape: 5 * sim.Second}, horizon)
		oracle := &endCounter{w: b.World, horizon: horizon, n: map[string]uint64{}}
		b.World.Observe(oracle)
		return func() any { return both{c.Finish(b.Faults.Windows()), oracle.n} }
	}})
	require.NoError(t, err)
	codes := map[string]bool{}
	for _, s := range res.Strategies {
		for _, r := range s.Runs {
			got := r.Attached.(both)
			pr := got.run
			require.Len(t, pr.Times, int(horizon/(5*sim.Second))+1)
			seen := map[string]uint64{}
			for _, rs := range pr.Requests {
				l := labels(rs.Labels)
				key := l["source_workload"] + " " + l["response_code"] + " " + l["response_flags"]
				codes[l["response_code"]+" "+l["response_flags"]] = true
				for k, p := range rs.Points {
					require.Len(t, p.Buckets, len(prom.DurationBuckets))
					for b := 1; b < len(p.Buckets); b++ {
						require.LessOrEqual(t, p.Buckets[b-1], p.Buckets[b], "buckets are cumulative")
					}
					require.LessOrEqual(t, p.Buckets[len(p.Buckets)-1], p.Count)
					if k > 0 {
						require.LessOrEqual(t, rs.Points[k-1].Count, p.Count, "counters never fall")
						require.LessOrEqual(t, rs.Points[k-1].SumMs, p.SumMs)
					}
				}
				seen[key] = rs.Points[len(rs.Points)-1].Count
			}
			require.Equal(t, got.ended, seen, "%s replication seed %d", s.Name, r.Seed)
			for _, g := range pr.Gauges {
				if g.Name != "kube_deployment_status_replicas_available" || labels(g.Labels)["deployment"] != "api" {
					continue
				}
				for k, tm := range pr.Times {
					want := 3.0
					if tm >= 40*sim.Second && tm < 60*sim.Second {
						want = 2 // one of three crashed from 40s to 60s
					}
					require.Equal(t, want, g.Values[k], "api replicas available at %v", tm.Duration())
				}
			}
		}
	}
	for _, c := range []string{"200 -", "500 -", "503 UF", "504 UT"} {
		require.True(t, codes[c], "response %s never appeared (got %v)", c, codes)
	}
}

type endCounter struct {
	w       *topology.World
	horizon sim.Time
	n       map[string]uint64
}

func (e *endCounter) RequestEnded(now sim.Time, q *topology.Request) {
	if now > e.horizon {
		return
	}
	r := prom.ResponseOf(q.Outcome, q.Cause)
	e.n[fmt.Sprintf("%s %d %s", e.w.Clients[q.Client].Name, r.Code, r.Flags)]++
}

func labels(ls []prom.Label) map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// TestOutputIsDeterministic: one scenario and seed give the same bytes,
// however many workers run it.
func TestOutputIsDeterministic(t *testing.T) {
	render := func(workers int) string {
		sc, err := scenarios.Load("testdata/small.yaml")
		require.NoError(t, err)
		horizon := sc.Duration.T()
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: workers, Attach: func(_ int, b *scenarios.Built) func() any {
			c := prom.Attach(b.World, prom.Config{}, horizon)
			return func() any { return c.Finish(b.Faults.Windows()) }
		}})
		require.NoError(t, err)
		var buf bytes.Buffer
		for _, s := range res.Strategies {
			for _, r := range s.Runs {
				pr := r.Attached.(*prom.Run)
				require.NoError(t, prom.WriteOpenMetrics(&buf, pr, 0))
				require.NoError(t, prom.WriteRulesTest(&buf, pr.RulesTest(s.Name), ""))
			}
		}
		return buf.String()
	}
	a := render(1)
	require.Equal(t, a, render(2))
	require.Contains(t, a, "# EOF\n")
}
