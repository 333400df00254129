package metrics

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func repeat(k int, rows ...[]float64) [][]float64 {
	var out [][]float64
	for i := 0; i < k; i++ {
		out = append(out, rows[i%len(rows)])
	}
	return out
}

func TestShareChurnOnSyntheticSeries(t *testing.T) {
	cases := []struct {
		name        string
		shares      [][]float64
		churn, osci float64
	}{
		{"steady split", repeat(10, []float64{0.5, 0.3, 0.2}), 0, 0},
		{"one-way failover", append(repeat(5, []float64{1, 0}), repeat(5, []float64{0, 1})...), 1.0 / 9, 0},
		// Flapping 80/20 ↔ 20/80 every bucket: every move is 0.6 and all but
		// the net 0.6 of each replica is undone over nine bucket pairs.
		{"flapping", repeat(10, []float64{0.8, 0.2}, []float64{0.2, 0.8}), 0.6, (2 * (9*0.6 - 0.6)) / 2 / 9},
		{"full flap", repeat(11, []float64{1, 0}, []float64{0, 1}), 1, 1},
	}
	for _, c := range cases {
		churn, osc := ShareChurn(c.shares)
		if math.Abs(churn-c.churn) > 1e-12 || math.Abs(osc-c.osci) > 1e-12 {
			t.Errorf("%s: churn %.4f osc %.4f, want %.4f %.4f", c.name, churn, osc, c.churn, c.osci)
		}
	}
	if c, _ := ShareChurn([][]float64{{1}}); !math.IsNaN(c) {
		t.Error("one bucket has a churn")
	}
}

// TestRoutingStatsMatchesDefinition feeds per-bucket attempt counts through
// the streaming collector and checks it against ShareChurn.
func TestRoutingStatsMatchesDefinition(t *testing.T) {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "s", Replicas: 3, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 1}}, Callers: 1}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: firstHost}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rs := newRoutingStats(w, Config{Warmup: 0, Horizon: sim.Hour})
	counts := [][]int{{50, 30, 20}, {10, 80, 10}, {60, 20, 20}, {10, 80, 10}, {50, 30, 20}}
	var shares [][]float64
	for _, row := range counts {
		var sh []float64
		for rep, n := range row {
			for k := 0; k < n; k++ {
				rs.JobSent(0, &topology.Job{Replica: int32(rep)})
			}
			sh = append(sh, float64(n)/100)
		}
		shares = append(shares, sh)
		rs.tick(nil, true)
	}
	s := Summary{}
	rs.Summarize(s)
	churn, osc := ShareChurn(shares)
	if math.Abs(s["routing_churn"]-churn) > 1e-12 || math.Abs(s["oscillation_index"]-osc) > 1e-12 {
		t.Fatalf("streaming churn %g osc %g, definition %g %g", s["routing_churn"], s["oscillation_index"], churn, osc)
	}
}
