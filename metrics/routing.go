package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// routingDefs are the routing metrics (keyed to the entanglement-routing
// document's M1–M15 where they come from it).
var routingDefs = []Def{
	{"routing_churn", "ratio", Lower, "mean change of the per-backend traffic distribution between consecutive series buckets: half the sum of |share change| over a service's replicas (total variation), averaged over buckets and services", "E-M4"},
	{"oscillation_index", "ratio", Lower, "churn that undoes itself: per bucket, half the sum over replicas of (total |share change| − |net share change|) over the window; 0 for a steady split or a one-way shift, up to 1 for traffic flapping between backends", "E-M7, E-F1"},
	{"fallback_rate", "ratio", Lower, "fraction of requests routed in failover (to a lower priority) or panic mode (to all hosts, healthy or not)", "E-M6"},
	{"signal_freshness", "s", Lower, "mean age of the load signal of the chosen host when routing on signals (undefined when routing does not use signals)", "E-M5"},
	{"telemetry_loss_rate", "ratio", Lower, "fraction of load signals measured that never reached the deciders", "E-M11"},
	{"retry_amplification", "factor", Lower, "attempts sent per request (1 = no retries)", ""},
	{"retries_denied", "requests", Neutral, "retries a retry budget or max_retries refused", ""},
	{"load_imbalance", "factor", Lower, "time-average over series ticks of max/mean in-flight requests across a service's replicas (1 = perfectly even)", ""},
	{"load_cv", "factor", Lower, "time-average coefficient of variation of in-flight requests across a service's replicas", ""},
	{"ejected_fraction", "ratio", Lower, "time-average fraction of hosts ejected by callers' guards (over callers and hosts)", ""},
	{"latency_impact", "ratio", Lower, "relative change of p95 latency against the pre-fault baseline: p95(phase)/p95(before) − 1, reported for the during and after phases (latency_impact:during)", "E-M14"},
	{"route_success_delta", "ratio", Higher, "success rate in a phase minus the pre-fault baseline's, reported for the during and after phases (route_success_delta:after)", "E-M13"},
}

// maxShareColumns bounds the per-backend share series: beyond this many
// replicas a stacked chart is unreadable and the series too wide.
const maxShareColumns = 64

// routingStats measures how traffic moves between backends. It is an
// Extension of the recorder and observes requests and attempts itself.
type routingStats struct {
	w   *topology.World
	cfg Config

	sent []uint64 // attempts sent per replica in the current bucket

	// per service, over the measurement window
	prev   [][]float64 // share vector of the last bucket with traffic
	first  [][]float64 // share vector of the first bucket with traffic
	moved  []float64   // per replica: Σ |share change|
	churn  []float64   // per service: Σ TV over bucket pairs
	pairs  []int       // per service: bucket pairs counted
	shares []float64   // scratch

	fallbacks, routed         uint64
	signalAge                 float64
	signals                   uint64
	attempts                  uint64
	imbalance, cv, ejected    float64
	imbalanceN, ejectedN      int
	bucketChurn, bucketChurnN float64 // for the series column
}

func newRoutingStats(w *topology.World, cfg Config) *routingStats {
	rs := &routingStats{
		w: w, cfg: cfg, sent: make([]uint64, len(w.Replicas)), moved: make([]float64, len(w.Replicas)),
		prev: make([][]float64, len(w.Services)), first: make([][]float64, len(w.Services)),
		churn: make([]float64, len(w.Services)), pairs: make([]int, len(w.Services)),
		shares: make([]float64, len(w.Replicas)),
	}
	return rs
}

// Columns implements Extension: churn, load imbalance and ejections per
// bucket, then each replica's traffic share ("share:<replica>") when there
// are few enough replicas.
func (rs *routingStats) Columns() []Column {
	cols := []Column{{Name: "routing_churn", Unit: "ratio"}, {Name: "load_imbalance", Unit: "factor"}, {Name: "ejected_fraction", Unit: "ratio"}}
	if len(rs.w.Replicas) <= maxShareColumns {
		for _, r := range rs.w.Replicas {
			cols = append(cols, Column{Name: "share:" + r.Name, Unit: "ratio"})
		}
	}
	return cols
}

// JobSent implements topology.JobObserver: it counts attempts per replica.
func (rs *routingStats) JobSent(_ sim.Time, j *topology.Job) { rs.sent[j.Replica]++ }

// RequestEnded implements topology.Observer: it records the routing facts
// of requests generated in the measurement window.
func (rs *routingStats) RequestEnded(_ sim.Time, q *topology.Request) {
	if q.Arrived < rs.cfg.Warmup || q.Arrived >= rs.cfg.Horizon {
		return
	}
	rs.routed++
	if q.Fallback != topology.FallbackNone {
		rs.fallbacks++
	}
	if q.SignalAge >= 0 {
		rs.signalAge += q.SignalAge.Seconds()
		rs.signals++
	}
	rs.attempts += uint64(q.Attempts())
}

// Sample implements Extension: it closes a bucket, appending the routing
// columns to row and, when the bucket lies inside the measurement window,
// accumulating the summary.
func (rs *routingStats) Sample(now sim.Time, width float64, row []float64) []float64 {
	measured := now-sim.Seconds(width) >= rs.cfg.Warmup
	return rs.tick(row, measured)
}

func (rs *routingStats) tick(row []float64, measured bool) []float64 {
	bucketTV, services := 0.0, 0
	for si, svc := range rs.w.Services {
		total := uint64(0)
		for _, r := range svc.Replicas {
			total += rs.sent[r.ID]
		}
		if total == 0 {
			continue
		}
		for _, r := range svc.Replicas {
			rs.shares[r.ID] = float64(rs.sent[r.ID]) / float64(total)
		}
		cur := rs.shares[svc.Replicas[0].ID : int(svc.Replicas[0].ID)+len(svc.Replicas)]
		if prev := rs.prev[si]; prev != nil {
			tv := 0.0
			for i := range cur {
				d := math.Abs(cur[i] - prev[i])
				tv += d
				if measured {
					rs.moved[int(svc.Replicas[0].ID)+i] += d
				}
			}
			tv /= 2
			bucketTV += tv
			services++
			if measured {
				rs.churn[si] += tv
				rs.pairs[si]++
			}
		}
		if measured && rs.first[si] == nil {
			rs.first[si] = append([]float64(nil), cur...)
		}
		if rs.prev[si] == nil {
			rs.prev[si] = make([]float64, len(cur))
		}
		copy(rs.prev[si], cur)
	}
	churn := math.NaN()
	if services > 0 {
		churn = bucketTV / float64(services)
	}
	imb, cv := rs.imbalanceNow()
	ej := rs.ejectedNow()
	if measured {
		if !math.IsNaN(imb) {
			rs.imbalance += imb
			rs.cv += cv
			rs.imbalanceN++
		}
		rs.ejected += ej
		rs.ejectedN++
	}
	row = append(row, churn, imb, ej)
	if len(rs.w.Replicas) <= maxShareColumns {
		for _, r := range rs.w.Replicas {
			total := uint64(0)
			for _, x := range r.Service.Replicas {
				total += rs.sent[x.ID]
			}
			v := math.NaN()
			if total > 0 {
				v = float64(rs.sent[r.ID]) / float64(total)
			}
			row = append(row, v)
		}
	}
	clear(rs.sent)
	return row
}

// imbalanceNow is max/mean and the coefficient of variation of in-flight
// requests across each service's replicas, averaged over services with
// any in flight (NaN when none has).
func (rs *routingStats) imbalanceNow() (float64, float64) {
	var imb, cv float64
	n := 0
	for _, svc := range rs.w.Services {
		var sum, sq, mx float64
		for _, r := range svc.Replicas {
			if !r.Provisioned() { // not a replica traffic could be spread over
				continue
			}
			x := float64(r.InFlight())
			sum += x
			sq += x * x
			mx = max(mx, x)
		}
		k := float64(svc.Provisioned)
		mean := sum / k
		if k == 0 || mean == 0 {
			continue
		}
		imb += mx / mean
		cv += math.Sqrt(max(0, sq/k-mean*mean)) / mean
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	return imb / float64(n), cv / float64(n)
}

// ejectedNow is the fraction of (caller, host) pairs ejected.
func (rs *routingStats) ejectedNow() float64 {
	var ej, all int
	for _, c := range rs.w.Callers {
		n := len(c.Client.Target.Replicas)
		for i := 0; i < n; i++ {
			if c.Ejected(i) {
				ej++
			}
		}
		all += n
	}
	if all == 0 {
		return 0
	}
	return float64(ej) / float64(all)
}

// Summarize implements Extension: it writes the routing metrics into s.
func (rs *routingStats) Summarize(s Summary) {
	churn, osc, k := 0.0, 0.0, 0
	for si, svc := range rs.w.Services {
		if rs.pairs[si] == 0 {
			continue
		}
		churn += rs.churn[si] / float64(rs.pairs[si])
		undone := 0.0
		for i, r := range svc.Replicas {
			net := math.Abs(rs.prev[si][i] - rs.first[si][i])
			undone += rs.moved[r.ID] - net
		}
		osc += undone / 2 / float64(rs.pairs[si])
		k++
	}
	s["routing_churn"], s["oscillation_index"] = math.NaN(), math.NaN()
	if k > 0 {
		s["routing_churn"], s["oscillation_index"] = churn/float64(k), max(0, osc/float64(k))
	}
	s["fallback_rate"] = ratio(rs.fallbacks, rs.routed)
	s["signal_freshness"] = math.NaN()
	if rs.signals > 0 {
		s["signal_freshness"] = rs.signalAge / float64(rs.signals)
	}
	s["telemetry_loss_rate"] = ratio(rs.w.Bus.Lost, rs.w.Bus.Published)
	s["retry_amplification"] = math.NaN()
	if rs.routed > 0 {
		s["retry_amplification"] = float64(rs.attempts) / float64(rs.routed)
	}
	denied := uint64(0)
	for _, c := range rs.w.Clients {
		denied += c.RetriesDenied
	}
	s["retries_denied"] = float64(denied)
	s["load_imbalance"], s["load_cv"] = math.NaN(), math.NaN()
	if rs.imbalanceN > 0 {
		s["load_imbalance"], s["load_cv"] = rs.imbalance/float64(rs.imbalanceN), rs.cv/float64(rs.imbalanceN)
	}
	s["ejected_fraction"] = math.NaN()
	if rs.ejectedN > 0 {
		s["ejected_fraction"] = rs.ejected / float64(rs.ejectedN)
	}
}

// ShareChurn is the reference definition of routing_churn and
// oscillation_index for one service: shares[k][i] is replica i's share of
// the service's traffic in bucket k (each row sums to 1). With
// d_i(k) = shares[k][i] − shares[k−1][i] over K buckets:
//
//	churn       = (1/(K−1)) Σ_k ½ Σ_i |d_i(k)|                         (mean total variation)
//	oscillation = (1/(K−1)) ½ Σ_i ( Σ_k |d_i(k)| − |shares[K−1][i] − shares[0][i]| )
//
// Oscillation is the part of the churn that undoes itself: a steady split
// and a one-way shift (a failover) score 0, traffic flapping between
// backends scores up to 1. Both are per bucket, so they depend on the
// series interval; with few requests per bucket, sampling noise sets a
// floor of roughly √(replicas / requests per bucket).
func ShareChurn(shares [][]float64) (churn, oscillation float64) {
	k := len(shares)
	if k < 2 {
		return math.NaN(), math.NaN()
	}
	for i := range shares[0] {
		moved := 0.0
		for b := 1; b < k; b++ {
			moved += math.Abs(shares[b][i] - shares[b-1][i])
		}
		churn += moved
		oscillation += moved - math.Abs(shares[k-1][i]-shares[0][i])
	}
	n := float64(k - 1)
	return churn / 2 / n, oscillation / 2 / n
}
