package strategies

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// scanHosts is hosts whose loads are also offered as contiguous counts
// (topology.LoadScanner), through a view-to-replica index.
type scanHosts struct {
	*hosts
	counts  []int32 // by replica
	replica []int32 // view index → replica
}

func (s *scanHosts) Load(i int) float64 { return float64(s.counts[s.replica[i]]) }
func (s *scanHosts) LocalLoads() (loads, hosts []int32, ok bool) {
	return s.counts, s.replica, true
}

var _ topology.LoadScanner = (*scanHosts)(nil)

// leastHosts is scanHosts that also keeps its least load
// (topology.LeastScanner), computed here by brute force.
type leastHosts struct{ *scanHosts }

func (s leastHosts) LocalLeast() (least int32, ties int, ok bool) {
	if len(s.replica) != len(s.counts) {
		return 0, 0, false
	}
	least = s.counts[0]
	for _, v := range s.counts {
		switch {
		case v < least:
			least, ties = v, 1
		case v == least:
			ties++
		}
	}
	return least, ties, true
}

var _ topology.LeastScanner = leastHosts{}

// TestScanLocalSameAsLoad: shortest-queue and least-request full scan pick
// the same hosts, drawing the same ties, from contiguous counts (and a
// kept least load) as through Load.
func TestScanLocalSameAsLoad(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		routing := rapid.SampledFrom([]string{"shortest-queue", "least-request"}).Draw(t, "routing")
		var params sim.Params
		if routing == "least-request" {
			params = sim.Params{"selection": "full-scan"}
		}
		d, _ := LookupRouting(routing)
		full, err := d.Params.Complete(params)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := d.Build(full)
		viaLoad, viaScan := f(sim.NewStream(3, "p")), f(sim.NewStream(3, "p"))
		n := rapid.IntRange(1, 20).Draw(t, "hosts")
		plain := newHosts(n)
		// Replicas in increasing order (topology.LoadScanner's contract),
		// sometimes all of them.
		counts := n + rapid.IntRange(0, 3).Draw(t, "extra replicas")
		perm := rapid.SliceOfNDistinct(rapid.IntRange(0, counts-1), n, n, rapid.ID[int]).Draw(t, "replicas")
		slices.Sort(perm)
		sh := &scanHosts{hosts: newHosts(n), counts: make([]int32, counts), replica: make([]int32, n)}
		for i, r := range perm {
			sh.replica[i] = int32(r)
		}
		keepsLeast := rapid.Bool().Draw(t, "keeps least")
		for step := 0; step < 30; step++ {
			i := rapid.IntRange(0, n-1).Draw(t, "host")
			l := rapid.IntRange(0, 3).Draw(t, "load")
			plain.load[i], sh.counts[sh.replica[i]] = float64(l), int32(l)
			if rapid.IntRange(0, 4).Draw(t, "flip") == 0 {
				plain.healthy[i] = !plain.healthy[i]
				sh.healthy[i] = plain.healthy[i]
				plain.gen++
				sh.gen++
			}
			var eps topology.Endpoints = sh
			if keepsLeast {
				eps = leastHosts{sh}
			}
			if got, want := viaScan.Pick(0, eps, nil), viaLoad.Pick(0, plain, nil); got != want {
				t.Fatalf("step %d: contiguous scan picks %d, Load picks %d", step, got, want)
			}
		}
	})
}
