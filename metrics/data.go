package metrics

import (
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
)

// dataDefs are the data layer's metrics (a datastore with replicas,
// quorums, caches and schema migrations). Counters are differences of the
// datastore's counters between the window's ends, times are integrals or
// sketches over it, per-request rates count requests generated in it.
var dataDefs = []Def{
	{"replica_divergence_rate", "ratio", Lower, "time-average fraction of (key, replica) pairs whose replica holds an older version of the key than the reference: the primary's (primary mode; pairs are the other replicas) or the newest any of the key's N replicas holds (leaderless; pairs are the N replicas)", "D-M1"},
	{"stale_read_rate", "ratio", Lower, "fraction of data reads that were answered with a version older than the newest write acknowledged when the request arrived", "D-F1; D-M4"},
	{"stale_reads", "requests", Lower, "data reads answered with a version older than the newest write acknowledged when the request arrived", "D-F1"},
	{"cache_hit_rate", "ratio", Higher, "fraction of data reads with a cache in front that the cache answered", ""},
	{"store_read_rate", "1/s", Neutral, "data reads per second that reached the datastore (uncached, or cache misses): the origin load", ""},
	{"data_operations", "count", Neutral, "data reads and writes begun in the window (requests' and operators'), cache hits included", ""},
	{"corrupted_writes", "count", Lower, "writes that stored a corrupt row on some replica: code whose schema the replica's schema silently mangles", "D-F7"},
	{"corrupt_reads", "requests", Lower, "data reads that returned a corrupt row", "D-F7"},
	{"failures_data_unavailable", "requests", Lower, "failures caused by too few data replicas answering the request's data operation in time (unavailable, or the quorum timeout)", ""},
	{"failures_schema_mismatch", "requests", Lower, "failures caused by the serving code's schema not being able to read or write what the datastore holds", "D-F7"},
	{"replication_lag_mean", "s", Lower, "mean time from a write's origin (its issue by the coordinator, or its commit at the primary) to its apply at each replica that applied it (the primary excluded)", "D-F1"},
	{"replication_lag_p99", "s", Lower, "99th percentile of the replication lag (DDSketch, 1% relative accuracy)", "D-F1"},
	{"replication_backlog_mean", "count", Lower, "time-average number of mutations queued at the data replicas, waiting to be applied", "D-F1"},
	{"replication_backlog_max", "count", Lower, "largest number of mutations queued at the data replicas at once", "D-F1"},
	{"data_convergence_time", "s", Lower, "mean time from a write's acknowledgement to the moment every replica of its key holds it or a newer version; writes never fully replicated are left out and counted in data_unconverged", "D-M8"},
	{"data_convergence_p99", "s", Lower, "99th percentile of data_convergence_time (DDSketch, 1% relative accuracy)", "D-M8"},
	{"data_convergence_max", "s", Lower, "the longest time an acknowledged write took to reach every replica of its key (after a partition: its length plus the repair delay)", "D-M8"},
	{"data_unconverged", "count", Lower, "writes acknowledged in the window that some replica of their key did not hold (nor a newer version) by the end of the run", "D-M8"},
	{"read_repairs", "count", Neutral, "read-repair writes coordinators sent to replicas that answered a read with an older version", "reconcile-slo.md §3.2"},
	{"hints_delivered", "count", Neutral, "hinted writes replayed to a replica that was unavailable when written, and acknowledged", "reconcile-slo.md §3.2"},
	{"hints_dropped", "count", Lower, "hints not written because their replica had been unavailable longer than the hint window", "reconcile-slo.md §3.2"},
	{"anti_entropy_bytes", "bytes", Lower, "bytes anti-entropy exchanged: checksums and Merkle hashes (both ways) plus values streamed", "D-M10"},
	{"keys_repaired", "count", Neutral, "replica values anti-entropy, read repair and hints brought up to date", "D-M10"},
	{"invalidations_lost", "count", Lower, "cache invalidations lost on the way (partition) or at the cache (an invalidation-loss fault)", ""},
}

// Data measures a world's datastore. Attach it with NewData; it adds its
// series columns and summary to the recorder.
type Data struct {
	w   *topology.World
	ds  data.Datastore
	cfg Config

	base, end data.Stats
	endSet    bool
	kSnap     sim.Kind

	reads, stale, corrupt uint64

	behind, total int
	divAt         sim.Time
	divArea       float64

	queued   int
	qAt      sim.Time
	qArea    float64
	qMax     int
	lag      *ddsketch.DDSketch
	lagSum   float64
	lagN     uint64
	conv     *ddsketch.DDSketch
	convSum  float64
	convN    uint64
	convMax  float64
	bDiv     float64
	bAt      sim.Time
	bReads   uint64
	bStale   uint64
	bLagSum  float64
	bLagN    uint64
	bMaxQ    int
	storeRds uint64
}

// NewData attaches a datastore collector to w (which must have a
// datastore) and to rec's series and summary.
func NewData(w *topology.World, cfg Config, rec *Recorder) *Data {
	ds, _ := data.Of(w)
	d := &Data{w: w, ds: ds, cfg: cfg, lag: newSketch(), conv: newSketch(), total: ds.Total()}
	w.Observe(d)
	ds.Observe(d)
	d.kSnap = w.Eng.Handle("metrics.data-snapshot", d.snapshot)
	w.Eng.At(cfg.Warmup, topology.ClassObserve, d.kSnap, 0)
	w.Eng.At(cfg.Horizon, topology.ClassObserve, d.kSnap, 1)
	rec.Extend(d)
	return d
}

func (d *Data) snapshot(arg uint64) {
	if arg == 0 {
		d.base = d.ds.Stats()
		return
	}
	d.end, d.endSet = d.ds.Stats(), true
}

func (d *Data) inWindow(t sim.Time) bool { return t >= d.cfg.Warmup && t < d.cfg.Horizon }

// window clips [a, b) to the measurement window, in seconds.
func (d *Data) window(a, b sim.Time) float64 {
	a, b = max(a, d.cfg.Warmup), min(b, d.cfg.Horizon)
	if b <= a {
		return 0
	}
	return (b - a).Seconds()
}

// RequestEnded implements topology.Observer.
func (d *Data) RequestEnded(now sim.Time, r *topology.Request) {
	served := d.ds.ServedBy(r)
	if served.Op != data.Read || (r.Outcome != topology.Success && r.Outcome != topology.Error) {
		return
	}
	if r.Outcome != topology.Success {
		return
	}
	if now <= d.cfg.Horizon {
		d.bReads++
		if served.Stale {
			d.bStale++
		}
	}
	if !d.inWindow(r.Arrived) {
		return
	}
	d.reads++
	if served.Stale {
		d.stale++
	}
	if served.Corrupt {
		d.corrupt++
	}
}

// DataDivergence implements data.Observer.
func (d *Data) DataDivergence(now sim.Time, behind, total int) {
	d.accumulate(now)
	d.behind, d.total = behind, total
}

func (d *Data) accumulate(now sim.Time) {
	if d.total > 0 {
		f := float64(d.behind) / float64(d.total)
		d.divArea += f * d.window(d.divAt, now)
		if now > d.bAt {
			d.bDiv += f * (min(now, d.cfg.Horizon) - max(d.divAt, d.bAt)).Seconds()
		}
	}
	d.divAt = now
}

// Replicated implements data.Observer.
func (d *Data) Replicated(now, lag sim.Time) {
	if !d.inWindow(now) {
		return
	}
	s := lag.Seconds()
	_ = d.lag.Add(max(s, 1e-9))
	d.lagSum += s
	d.lagN++
	d.bLagSum += s
	d.bLagN++
}

// WriteConverged implements data.Observer.
func (d *Data) WriteConverged(now, ackedAt sim.Time) {
	if !d.inWindow(ackedAt) {
		return
	}
	s := (now - ackedAt).Seconds()
	_ = d.conv.Add(max(s, 1e-9))
	d.convSum += s
	d.convN++
	d.convMax = max(d.convMax, s)
}

// Backlog implements data.Observer.
func (d *Data) Backlog(now sim.Time, queued int) {
	d.accumulateQueue(now)
	d.queued = queued
	if d.inWindow(now) {
		d.qMax = max(d.qMax, queued)
	}
	d.bMaxQ = max(d.bMaxQ, queued)
}

func (d *Data) accumulateQueue(now sim.Time) {
	d.qArea += float64(d.queued) * d.window(d.qAt, now)
	d.qAt = now
}

var dataColumns = []Column{
	{Name: "replica_divergence", Unit: "ratio"},
	{Name: "stale_read_rate", Unit: "ratio"},
	{Name: "replication_lag", Unit: "s"},
	{Name: "replication_backlog", Unit: "count"},
}

// Columns implements Extension.
func (d *Data) Columns() []Column { return dataColumns }

// Sample implements Extension: divergence is the bucket's time average,
// the lag its mean over applies, the backlog its maximum.
func (d *Data) Sample(now sim.Time, width float64, row []float64) []float64 {
	d.accumulate(now)
	div := math.NaN()
	if width > 0 {
		div = d.bDiv / width
	}
	lag := math.NaN()
	if d.bLagN > 0 {
		lag = d.bLagSum / float64(d.bLagN)
	}
	row = append(row, div, ratio(d.bStale, d.bReads), lag, float64(max(d.bMaxQ, d.queued)))
	d.bDiv, d.bAt, d.bReads, d.bStale, d.bLagSum, d.bLagN, d.bMaxQ = 0, now, 0, 0, 0, 0, d.queued
	return row
}

// Summarize implements Extension.
func (d *Data) Summarize(s Summary) {
	end := d.cfg.Horizon
	d.accumulate(max(d.w.Eng.Now(), end))
	d.accumulateQueue(max(d.w.Eng.Now(), end))
	base, last := d.base, d.end
	if !d.endSet {
		last = d.ds.Stats()
	}
	delta := func(f func(data.Stats) uint64) float64 { return float64(f(last) - f(base)) }
	window := (d.cfg.Horizon - d.cfg.Warmup).Seconds()

	s["replica_divergence_rate"] = d.divArea / window
	s["stale_read_rate"] = ratio(d.stale, d.reads)
	s["stale_reads"] = float64(d.stale)
	hits, misses := delta(func(x data.Stats) uint64 { return x.CacheHits }), delta(func(x data.Stats) uint64 { return x.CacheMisses })
	s["cache_hit_rate"] = ratioF(hits, hits+misses)
	reads := delta(func(x data.Stats) uint64 { return x.Reads })
	s["store_read_rate"] = (reads - hits) / window
	s["data_operations"] = reads + delta(func(x data.Stats) uint64 { return x.Writes })
	s["corrupted_writes"] = delta(func(x data.Stats) uint64 { return x.CorruptWrites })
	s["corrupt_reads"] = float64(d.corrupt)
	s["replication_lag_mean"] = mean(d.lagSum, d.lagN)
	s["replication_lag_p99"] = quantile(d.lag, 0.99)
	s["replication_backlog_mean"] = d.qArea / window
	s["replication_backlog_max"] = float64(d.qMax)
	s["data_convergence_time"] = mean(d.convSum, d.convN)
	s["data_convergence_p99"] = quantile(d.conv, 0.99)
	s["data_convergence_max"] = d.convMax
	if d.convN == 0 {
		s["data_convergence_max"] = math.NaN()
	}
	s["data_unconverged"] = math.Max(0, delta(func(x data.Stats) uint64 { return x.Acked })-float64(d.convN))
	s["read_repairs"] = delta(func(x data.Stats) uint64 { return x.ReadRepairs })
	s["hints_delivered"] = delta(func(x data.Stats) uint64 { return x.HintsDelivered })
	s["hints_dropped"] = delta(func(x data.Stats) uint64 { return x.HintsDropped })
	s["anti_entropy_bytes"] = delta(func(x data.Stats) uint64 { return x.SyncHashBytes + x.SyncStreamBytes })
	s["keys_repaired"] = delta(func(x data.Stats) uint64 { return x.KeysRepaired })
	s["invalidations_lost"] = delta(func(x data.Stats) uint64 { return x.InvalidationsLost })
}
