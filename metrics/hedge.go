package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// hedgeDefs are the metrics of hedged requests, reported only in worlds
// where a caller hedges.
var hedgeDefs = []Def{
	{"hedge_rate", "factor", Lower, "hedges sent per client request: attempts sent while an earlier attempt of the same request was still out, at every layer (client requests and the calls made for them), reported in scenarios with hedging", "issue 11"},
	{"hedge_win_rate", "ratio", Neutral, "fraction of the hedged requests and calls (those that sent a hedge) whose answer came from a later attempt than the first, reported in scenarios with hedging", "issue 11"},
}

// hedgeStats counts the hedges of the requests and calls generated in
// the measurement window.
type hedgeStats struct {
	cfg                  Config
	top, hedges          uint64
	hedged, wonByHedging uint64
}

func newHedgeStats(cfg Config) *hedgeStats { return &hedgeStats{cfg: cfg} }

func (h *hedgeStats) add(r *topology.Request) {
	if r.Arrived < h.cfg.Warmup || r.Arrived >= h.cfg.Horizon {
		return
	}
	n := r.Hedges()
	h.hedges += uint64(n)
	if n > 0 {
		h.hedged++
		if r.Won() > 1 {
			h.wonByHedging++
		}
	}
}

// RequestEnded implements topology.Observer.
func (h *hedgeStats) RequestEnded(_ sim.Time, r *topology.Request) {
	if r.Arrived >= h.cfg.Warmup && r.Arrived < h.cfg.Horizon {
		h.top++
	}
	h.add(r)
}

// HopEnded implements topology.HopObserver.
func (h *hedgeStats) HopEnded(_ sim.Time, _ *topology.CallEdge, r *topology.Request) { h.add(r) }

// Columns implements Extension: hedging has no series column.
func (h *hedgeStats) Columns() []Column { return nil }

// Sample implements Extension.
func (h *hedgeStats) Sample(_ sim.Time, _ float64, row []float64) []float64 { return row }

// Summarize implements Extension.
func (h *hedgeStats) Summarize(s Summary) {
	s["hedge_rate"] = ratio(h.hedges, h.top)
	s["hedge_win_rate"] = math.NaN()
	if h.hedged > 0 {
		s["hedge_win_rate"] = float64(h.wonByHedging) / float64(h.hedged)
	}
}
