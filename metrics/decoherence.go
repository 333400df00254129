package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/state"
)

// decoherenceDefs are the decoherence metrics (D-M1…M10 of the decoherence
// document) and the control plane's safety counters. Each is measured over
// the measurement window [warmup, horizon): counters are differences of the
// state model's counters between the window's ends, times are integrals
// over it, per-request rates count requests generated in it.
var decoherenceDefs = []Def{
	{"inconsistent_response_rate", "ratio", Lower, "fraction of responses served by a state other than the desired one at the request's arrival: the replica's software version, a config key's value, or a flag's value in the SDK that evaluated it (the caller's, for client-side evaluation); with a datastore, also a data read older than the newest write acknowledged at arrival, or a corrupt row", "D-M4"},
	{"config_convergence_time", "s", Lower, "mean time from a config or flag change of desired state to the moment every holder holds it (or a later version); changes never fully held are left out and counted in config_unconverged", "D-M2"},
	{"config_unconverged", "count", Lower, "config and flag changes in the window that some holder never received by the end of the run", "D-M2"},
	{"reconciliation_success_rate", "ratio", Higher, "fraction of repair writes that reached their node and were applied, of those that were applied or failed (rejected by fencing, control plane unreachable, node down or cut off)", "D-M3"},
	{"telemetry_completeness", "ratio", Higher, "fraction of the periodic state reports (one per replica per report interval) the control plane received; reports from nodes that are down, paused, cut off or in a telemetry gap are missing", "D-M5"},
	{"drift_alerts", "count", Lower, "firings of the drift alert: the control plane observed some node off the desired state continuously for alert_for (a Prometheus rule's for:)", "D-M6"},
	{"time_to_detect", "s", Lower, "mean time from the start of a divergence episode to the first drift alert during it, over the episodes that were alerted", "D-M7"},
	{"convergence_time", "s", Lower, "mean length of a divergence episode: from the moment some node leaves the desired state to the moment all are back, staying so for the settle window (reconcile-slo.md §5.3); episodes still open at the end are counted in unconverged_at_end", "D-M8"},
	{"unconverged_at_end", "count", Lower, "1 if a divergence episode was still open when the window ended, else 0", "D-M8"},
	{"divergence_episodes", "count", Neutral, "divergence episodes that started in the window (every propagation of a change is one, however short)", "D-M8"},
	{"divergence_mean", "ratio", Lower, "time-average fraction of nodes (replicas and client-side flag SDKs) off the desired state", "D-M1"},
	{"partial_deploy_rate", "ratio", Lower, "fraction of rollouts started in the window that stalled past their progress deadline or were rolled back", "D-M9"},
	{"reconciliation_cost", "count", Lower, "control-plane API calls made by controllers in the window: repair writes, status writes and rollout pod operations (lease traffic excluded)", "D-M10"},
	{"repair_operations", "count", Lower, "repair writes issued (a desired value written to a node's object)", "D-M10"},
	{"repair_bytes", "bytes", Lower, "bytes of repair writes (each carries its key's size), plus the datastore's repair traffic: read repairs, replayed hints, anti-entropy hashes and streams", "D-M10"},
	{"reconcile_rate", "1/s", Lower, "reconciles of one item per second (a sync of every item counts each item): a controller hot loop shows here", "D-F5"},
	{"drift_flapping", "ratio", Lower, "fraction of the control plane's sync-status samples (one per report interval, at a random phase as Nagios interleaves checks) during which the status was flapping by Nagios' rule: 21 samples, recent changes weighted 0.75..1.25, start at ≥ 20% change, stop at ≤ 5%", "D-F5; reconcile-slo.md §5.3"},
	{"drift_events", "count", Lower, "times the control plane saw the fleet go from in sync to out of sync (each propagating change and each drift counts)", "D-F5"},
	{"nacks", "count", Neutral, "channel deliveries that holders rejected (xDS NACK), keeping their last good value", ""},
	{"rollbacks", "count", Neutral, "automated rollbacks", ""},
	{"stale_writes_accepted", "count", Lower, "writes the store accepted from a deposed leader (its token below the current lease's): split-brain damage", "D-F6"},
	{"stale_writes_rejected", "count", Neutral, "writes from a deposed leader that fencing rejected", "D-F6"},
	{"lost_updates", "count", Lower, "accepted writes that replaced a newer version of an object with an older one; in the datastore, acknowledged writes whose version is older than a write acknowledged before they were issued, so last write wins discards them (skewed clocks)", "D-F6"},
	{"dual_leader_time", "s", Lower, "time during which two or more members acted as leader", "D-F6"},
	{"leaderless_time", "s", Lower, "time during which no member acted as leader (with a control plane that elects one)", ""},
	{"leader_changes", "count", Lower, "times a member started leading (etcd-mixin alerts at ≥ 4 in 15 min)", "reconcile-slo.md §5.3"},
}

// DecoherenceConfig sets the decoherence collector's detection rules.
type DecoherenceConfig struct {
	AlertFor sim.Time // drift alert: observed divergence must last this long (0: 1 min)
	Settle   sim.Time // convergence: coherence must last this long to end an episode (0: 10 s)
	Check    sim.Time // sync-status samples for flap detection (0: 10 s)
}

// Decoherence measures a world's state model. Attach it with
// NewDecoherence; it adds its series columns and summary to the recorder.
type Decoherence struct {
	w   *topology.World
	s   *state.State
	ds  data.Datastore // with a datastore: its reads are judged too
	dok bool
	cfg Config
	dc  DecoherenceConfig

	responded, inconsistent uint64

	base, end state.Stats
	baseSet   bool
	endSet    bool

	// divergence integral and episodes
	off, total   int
	offAt        sim.Time
	offArea      float64 // ∫ off/total dt over the window
	inEpisode    bool
	episodeStart sim.Time
	clearAt      sim.Time // when off last fell to 0 (the tentative end)
	clearing     bool
	detected     bool
	episodes     uint64
	converged    uint64
	convSum      float64
	detections   uint64
	detectSum    float64

	// observed divergence and alerts
	obsOff    int
	obsGen    uint32
	firing    bool
	alerts    uint64
	kAlert    sim.Kind
	kCheck    sim.Kind
	flap      flapDetector
	flapN     uint64
	flapOn    uint64
	events    uint64
	kSnap     sim.Kind
	cfgConvN  uint64
	cfgConvS  float64
	changesIn uint64 // config/flag changes made in the window

	// leaders
	leaders   int
	leadersAt sim.Time
	dualTime  float64
	noneTime  float64
	elects    bool

	// series bucket
	bArea    float64
	bAt      sim.Time
	bMaxLead int
	bResp    uint64
	bIncons  uint64
	bAPI     uint64
}

// NewDecoherence attaches a decoherence collector to w (which must have a
// state model) and to rec's series and summary.
func NewDecoherence(w *topology.World, cfg Config, dc DecoherenceConfig, rec *Recorder) *Decoherence {
	if dc.AlertFor <= 0 {
		dc.AlertFor = sim.Minute
	}
	if dc.Settle <= 0 {
		dc.Settle = 10 * sim.Second
	}
	if dc.Check <= 0 {
		dc.Check = 10 * sim.Second
	}
	d := &Decoherence{w: w, s: state.Of(w), cfg: cfg, dc: dc, total: state.Of(w).Counted(), elects: state.Of(w).Elects()}
	d.ds, d.dok = data.Of(w)
	d.flap = newFlapDetector()
	w.Observe(d)
	state.Of(w).Observe(d)
	d.kAlert = w.Eng.Handle("metrics.drift-alert", d.alertDue)
	d.kCheck = w.Eng.Handle("metrics.sync-check", d.check)
	d.kSnap = w.Eng.Handle("metrics.state-snapshot", d.snapshot)
	w.Eng.At(cfg.Warmup, topology.ClassObserve, d.kSnap, 0)
	w.Eng.At(cfg.Horizon, topology.ClassObserve, d.kSnap, 1)
	// Checks start at a random phase, so they do not line up with changes
	// scheduled on round times.
	phase := sim.Time(sim.NewStream(w.Seed, "metrics/sync-check").Float64() * float64(dc.Check))
	w.Eng.At(phase, topology.ClassObserve, d.kCheck, 0)
	rec.Extend(d)
	return d
}

func (d *Decoherence) now() sim.Time { return d.w.Eng.Now() }

// window clips [a, b) to the measurement window and returns its length in seconds.
func (d *Decoherence) window(a, b sim.Time) float64 {
	a, b = max(a, d.cfg.Warmup), min(b, d.cfg.Horizon)
	if b <= a {
		return 0
	}
	return (b - a).Seconds()
}

func (d *Decoherence) inWindow(t sim.Time) bool { return t >= d.cfg.Warmup && t < d.cfg.Horizon }

func (d *Decoherence) snapshot(arg uint64) {
	if arg == 0 {
		d.base, d.baseSet = d.s.Stats, true
		return
	}
	d.end, d.endSet = d.s.Stats, true
}

// RequestEnded implements topology.Observer.
func (d *Decoherence) RequestEnded(now sim.Time, r *topology.Request) {
	if r.Outcome != topology.Success && r.Outcome != topology.Error {
		return
	}
	stale := !d.s.ServedBy(r).Consistent() || d.dok && !d.ds.ServedBy(r).Consistent()
	if now <= d.cfg.Horizon {
		d.bResp++
		if stale {
			d.bIncons++
		}
	}
	if !d.inWindow(r.Arrived) {
		return
	}
	d.responded++
	if stale {
		d.inconsistent++
	}
}

// Divergence implements state.StateObserver.
func (d *Decoherence) Divergence(now sim.Time, off, total int) {
	d.accumulate(now)
	was := d.off > 0
	d.off, d.total = off, total
	switch is := off > 0; {
	case is && !was:
		if d.inEpisode && d.clearing && now-d.clearAt < d.dc.Settle {
			d.clearing = false // back before it settled: the same episode goes on
			return
		}
		d.closeEpisode()
		d.inEpisode, d.clearing, d.detected = true, false, false
		d.episodeStart = now
		if d.inWindow(now) {
			d.episodes++
		}
		if d.firing {
			d.detect(now)
		}
	case !is && was:
		d.clearing, d.clearAt = true, now
	}
}

// closeEpisode ends an episode whose coherence has settled.
func (d *Decoherence) closeEpisode() {
	if !d.inEpisode || !d.clearing {
		return
	}
	if d.inWindow(d.episodeStart) && d.clearAt+d.dc.Settle <= d.cfg.Horizon {
		d.converged++
		d.convSum += (d.clearAt - d.episodeStart).Seconds()
	}
	d.inEpisode, d.clearing = false, false
}

func (d *Decoherence) detect(now sim.Time) {
	if d.inEpisode && !d.detected && !d.clearing {
		d.detected = true
		if d.inWindow(d.episodeStart) {
			d.detections++
			d.detectSum += (now - d.episodeStart).Seconds()
		}
	}
}

// accumulate integrates divergence up to now.
func (d *Decoherence) accumulate(now sim.Time) {
	if d.total > 0 {
		f := float64(d.off) / float64(d.total)
		d.offArea += f * d.window(d.offAt, now)
		if now > d.bAt {
			d.bArea += f * (min(now, d.cfg.Horizon) - max(d.offAt, d.bAt)).Seconds()
		}
	}
	d.offAt = now
}

// ObservedDivergence implements state.StateObserver: the drift alert's
// condition.
func (d *Decoherence) ObservedDivergence(now sim.Time, off int) {
	was := d.obsOff > 0
	d.obsOff = off
	switch is := off > 0; {
	case is && !was:
		d.obsGen++
		d.w.Eng.At(now+d.dc.AlertFor, topology.ClassObserve, d.kAlert, uint64(d.obsGen))
		if d.inWindow(now) {
			d.events++
		}
	case !is && was:
		d.obsGen++
		d.firing = false
	}
}

func (d *Decoherence) alertDue(gen uint64) {
	if uint32(gen) != d.obsGen || d.obsOff == 0 {
		return
	}
	now := d.now()
	d.firing = true
	if d.inWindow(now) {
		d.alerts++
	}
	d.detect(now)
}

// check samples the control plane's view of the sync status for flap
// detection.
func (d *Decoherence) check(uint64) {
	now := d.now()
	flapping := d.flap.record(d.obsOff > 0)
	if d.inWindow(now) {
		d.flapN++
		if flapping {
			d.flapOn++
		}
	}
	if next := now + d.dc.Check; next < d.cfg.Horizon {
		d.w.Eng.At(next, topology.ClassObserve, d.kCheck, 0)
	}
}

// Leaders implements state.StateObserver.
func (d *Decoherence) Leaders(now sim.Time, n int) {
	d.accumulateLeaders(now)
	d.leaders = n
	d.bMaxLead = max(d.bMaxLead, n)
}

func (d *Decoherence) accumulateLeaders(now sim.Time) {
	w := d.window(d.leadersAt, now)
	switch {
	case d.leaders >= 2:
		d.dualTime += w
	case d.leaders == 0 && d.elects:
		d.noneTime += w
	}
	d.leadersAt = now
}

// Converged implements state.StateObserver.
func (d *Decoherence) Converged(now sim.Time, k *state.Key, at sim.Time) {
	if d.inWindow(at) {
		d.cfgConvN++
		d.cfgConvS += (now - at).Seconds()
	}
}

var decoherenceColumns = []Column{
	{Name: "divergence", Unit: "ratio"},
	{Name: "leaders", Unit: "count"},
	{Name: "inconsistent_response_rate", Unit: "ratio"},
	{Name: "api_calls", Unit: "1/s"},
}

// Columns implements Extension.
func (d *Decoherence) Columns() []Column { return decoherenceColumns }

// Sample implements Extension: divergence is the bucket's time average,
// leaders its maximum.
func (d *Decoherence) Sample(now sim.Time, width float64, row []float64) []float64 {
	d.accumulate(now)
	div := math.NaN()
	if width > 0 {
		div = d.bArea / width
	}
	api := d.s.Stats.APICalls
	row = append(row, div, float64(max(d.bMaxLead, d.leaders)), ratio(d.bIncons, d.bResp), float64(api-d.bAPI)/width)
	d.bArea, d.bAt, d.bMaxLead, d.bResp, d.bIncons, d.bAPI = 0, now, d.leaders, 0, 0, api
	return row
}

// Summarize implements Extension.
func (d *Decoherence) Summarize(s Summary) {
	end := d.cfg.Horizon
	d.accumulate(max(d.now(), end))
	d.accumulateLeaders(max(d.now(), end))
	if d.inEpisode && d.clearing && d.clearAt+d.dc.Settle <= end {
		d.closeEpisode()
	}
	base, last := d.base, d.end
	if !d.endSet {
		last = d.s.Stats
	}
	delta := func(f func(state.Stats) uint64) float64 { return float64(f(last) - f(base)) }
	window := (d.cfg.Horizon - d.cfg.Warmup).Seconds()

	s["inconsistent_response_rate"] = ratio(d.inconsistent, d.responded)
	s["config_convergence_time"] = mean(d.cfgConvS, d.cfgConvN)
	changes := delta(func(x state.Stats) uint64 { return x.DesiredChanges })
	s["config_unconverged"] = math.Max(0, changes-float64(d.cfgConvN))
	applied := delta(func(x state.Stats) uint64 { return x.RepairsApplied })
	failed := delta(func(x state.Stats) uint64 { return x.RepairsFailed })
	s["reconciliation_success_rate"] = ratioF(applied, applied+failed)
	reports := delta(func(x state.Stats) uint64 { return x.Reports })
	s["telemetry_completeness"] = ratioF(reports-delta(func(x state.Stats) uint64 { return x.ReportsLost }), reports)
	s["drift_alerts"] = float64(d.alerts)
	s["time_to_detect"] = mean(d.detectSum, d.detections)
	s["convergence_time"] = mean(d.convSum, d.converged)
	open := 0.0
	if d.inEpisode && d.inWindow(d.episodeStart) {
		open = 1
	}
	s["unconverged_at_end"] = open
	s["divergence_episodes"] = float64(d.episodes)
	s["divergence_mean"] = d.offArea / window
	rollouts := delta(func(x state.Stats) uint64 { return x.Rollouts })
	s["partial_deploy_rate"] = ratioF(delta(func(x state.Stats) uint64 { return x.RolloutsPartial }), rollouts)
	s["reconciliation_cost"] = delta(func(x state.Stats) uint64 { return x.APICalls })
	s["repair_operations"] = delta(func(x state.Stats) uint64 { return x.Repairs })
	s["repair_bytes"] = delta(func(x state.Stats) uint64 { return x.RepairBytes })
	s["reconcile_rate"] = delta(func(x state.Stats) uint64 { return x.Reconciles }) / window
	s["drift_flapping"] = ratio(d.flapOn, d.flapN)
	s["drift_events"] = float64(d.events)
	s["nacks"] = delta(func(x state.Stats) uint64 { return x.NACKs })
	s["rollbacks"] = delta(func(x state.Stats) uint64 { return x.Rollbacks })
	s["stale_writes_accepted"] = delta(func(x state.Stats) uint64 { return x.StaleAccepted })
	s["stale_writes_rejected"] = delta(func(x state.Stats) uint64 { return x.StaleRejected })
	s["lost_updates"] = delta(func(x state.Stats) uint64 { return x.LostUpdates })
	s["dual_leader_time"] = d.dualTime
	s["leaderless_time"] = d.noneTime
	s["leader_changes"] = delta(func(x state.Stats) uint64 { return x.LeaderChanges })
}

func mean(sum float64, n uint64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

func ratioF(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// flapDetector is Nagios' flap detection (nagioscore base/flapping.c):
// the last 21 states, 20 transitions weighted 0.75 (oldest) to 1.25
// (newest); percent_state_change = 100·Σ weighted changes / 20; flapping
// starts at ≥ 20% and stops at ≤ 5% (the default high and low thresholds).
type flapDetector struct {
	states   [21]bool
	n        int // states recorded, up to 21
	head     int // index of the oldest state once full
	flapping bool
}

func newFlapDetector() flapDetector { return flapDetector{} }

// PercentChange is the weighted percent state change over the history.
func (f *flapDetector) PercentChange() float64 {
	if f.n < 2 {
		return 0
	}
	const low, high, max = 0.75, 1.25, 21
	sum := 0.0
	// Walk oldest to newest; transition x (1 = oldest) weighs
	// low + (x−1)·(high−low)/(max−2).
	prev := f.at(0)
	for x := 1; x < f.n; x++ {
		cur := f.at(x)
		if cur != prev {
			sum += low + float64(x-1)*(high-low)/float64(max-2)
		}
		prev = cur
	}
	return sum * 100 / float64(max-1)
}

func (f *flapDetector) at(i int) bool { return f.states[(f.head+i)%len(f.states)] }

// record adds a state and reports whether the status is flapping.
func (f *flapDetector) record(state bool) bool {
	if f.n < len(f.states) {
		f.states[f.n] = state
		f.n++
	} else {
		f.states[f.head] = state
		f.head = (f.head + 1) % len(f.states)
	}
	switch p := f.PercentChange(); {
	case !f.flapping && p >= 20:
		f.flapping = true
	case f.flapping && p <= 5:
		f.flapping = false
	}
	return f.flapping
}
