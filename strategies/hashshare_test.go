package strategies

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// TestHashTablesShared: pickers of one build over the same host set use
// one table; a change of membership or weights gives the changed caller
// a new table; a table no picker holds is forgotten.
func TestHashTablesShared(t *testing.T) {
	for _, routing := range []string{"maglev", "ring-hash"} {
		t.Run(routing, func(t *testing.T) {
			d, _ := LookupRouting(routing)
			full, err := d.Params.Complete(nil)
			require.NoError(t, err)
			newPicker, err := d.Build(full)
			require.NoError(t, err)
			a, b := newPicker(sim.NewStream(1, "a")), newPicker(sim.NewStream(1, "b"))
			ha, hb := newHosts(8), newHosts(8)
			req := &topology.Request{Key: 7}
			a.Pick(0, ha, req)
			b.Pick(0, hb, req)
			ta, tb := sharedOf(a, ha), sharedOf(b, hb)
			require.Same(t, ta, tb, "one table for one host set")
			hb.weight[3], hb.gen = 2, 1
			b.Pick(0, hb, req)
			require.NotSame(t, ta, sharedOf(b, hb), "weights changed: a new table")
			require.Same(t, ta, sharedOf(a, ha))
			hb.weight[3], hb.gen = 1, 2
			b.Pick(0, hb, req)
			require.Same(t, ta, sharedOf(b, hb), "back to the first set: its table again")
			require.Equal(t, 1, tablesLen(a), "the weighted set's table is forgotten")
		})
	}
}

// sharedOf returns the shared table p uses for eps (as any).
func sharedOf(p topology.Picker, eps topology.Endpoints) any {
	switch p := p.(type) {
	case *Maglev:
		r, _ := p.views.get(eps)
		return r.t
	case *RingHash:
		r, _ := p.views.get(eps)
		return r.t
	}
	return nil
}

func tablesLen(p topology.Picker) int {
	switch p := p.(type) {
	case *Maglev:
		return len(p.tables.byKey)
	case *RingHash:
		return len(p.tables.byKey)
	}
	return -1
}

// TestHashTablesSameAsOwn: callers sharing their build's tables pick
// exactly what callers building their own table pick (the behaviour
// before sharing), through random changes of health, weights, IDs and
// load, with and without bounded loads and panic.
func TestHashTablesSameAsOwn(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		routing := rapid.SampledFrom([]string{"maglev", "ring-hash"}).Draw(t, "routing")
		params := sim.Params{"hash_balance_factor": int64(rapid.SampledFrom([]int{0, 125}).Draw(t, "balance"))}
		if routing == "maglev" {
			params["table_size"] = int64(rapid.SampledFrom([]int{7, 251, 65537}).Draw(t, "size"))
		}
		d, _ := LookupRouting(routing)
		full, err := d.Params.Complete(params)
		if err != nil {
			t.Fatal(err)
		}
		shared, _ := d.Build(full)
		const callers = 3
		var mine, own [callers]topology.Picker
		var hs [callers]*hosts
		n := rapid.IntRange(1, 12).Draw(t, "hosts")
		for c := range mine {
			mine[c] = shared(sim.NewStream(uint64(c), "p"))
			alone, _ := d.Build(full)
			own[c] = alone(sim.NewStream(uint64(c), "p"))
			hs[c] = newHosts(n)
		}
		for step := 0; step < 40; step++ {
			c := rapid.IntRange(0, callers-1).Draw(t, "caller")
			h := hs[c]
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				i := rapid.IntRange(0, n-1).Draw(t, "host")
				h.healthy[i] = !h.healthy[i]
				h.gen++
			case 1:
				i := rapid.IntRange(0, n-1).Draw(t, "host")
				h.weight[i] = float64(rapid.IntRange(1, 3).Draw(t, "weight"))
				h.gen++
			case 2:
				h.id0 = rapid.IntRange(0, 2).Draw(t, "id0")
				h.gen++
			case 3:
				i := rapid.IntRange(0, n-1).Draw(t, "host")
				h.load[i] = float64(rapid.IntRange(0, 5).Draw(t, "load"))
			}
			req := &topology.Request{Key: rapid.Uint64().Draw(t, "key")}
			got, want := mine[c].Pick(0, h, req), own[c].Pick(0, h, req)
			if got != want {
				t.Fatalf("step %d caller %d: shared table picks %d, own table %d", step, c, got, want)
			}
			fg := mine[c].(topology.FallbackReporter).LastFallback()
			fw := own[c].(topology.FallbackReporter).LastFallback()
			if fg != fw {
				t.Fatalf("step %d caller %d: fallback %v, own table %v", step, c, fg, fw)
			}
		}
	})
}
