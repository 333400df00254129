package strategies

import (
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var outlierGuards = []*GuardDef{{
	Name: "outlier-detection",
	Description: "Envoy outlier detection: ejects a host after consecutive 5xx (inline) or when its success rate falls below mean − factor·stdev " +
		"(every interval); ejections last base × times ejected, capped, and are lifted at interval ticks",
	Source: "Envoy source/common/upstream/outlier_detection_impl.cc (DetectorImpl; test/common/upstream/outlier_detection_impl_test.cc); api/envoy/config/cluster/v3/outlier_detection.proto",
	Params: sim.ParamSet{
		{Name: "consecutive_5xx", Kind: sim.Int, Default: int64(5), Min: sim.Bound(1), Description: "consecutive failures (5xx, resets, timeouts) that eject a host"},
		{Name: "enforcing_consecutive_5xx", Kind: sim.Ratio, Default: 1.0, Description: "probability a consecutive-5xx detection is enforced"},
		{Name: "interval", Kind: sim.Duration, Default: 10 * sim.Second, Min: sim.Bound(0.001), Description: "time between ejection sweeps (success rate, un-ejection)"},
		{Name: "base_ejection_time", Kind: sim.Duration, Default: 30 * sim.Second, Min: sim.Bound(0), Description: "ejection time = base × times the host has been ejected"},
		{Name: "max_ejection_time", Kind: sim.Duration, Default: 300 * sim.Second, Min: sim.Bound(0), Description: "cap on one ejection (or base, if larger)"},
		{Name: "max_ejection_time_jitter", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "ejections last up to this much longer, uniformly"},
		{Name: "max_ejection_percent", Kind: sim.Ratio, Default: 0.1, Description: "most hosts that may be ejected at once"},
		{Name: "always_eject_one_host", Kind: sim.Bool, Default: false, Description: "allow one ejection even when it exceeds max_ejection_percent (Envoy PR #34796)"},
		{Name: "legacy_cap", Kind: sim.Bool, Default: false, Description: "the pre-2023 cap check (ejected% < max before ejecting): a first ejection is always allowed (envoy#3263, fixed by PR #27909)"},
		{Name: "success_rate_minimum_hosts", Kind: sim.Int, Default: int64(5), Min: sim.Bound(1), Description: "success-rate ejection needs this many hosts with enough requests"},
		{Name: "success_rate_request_volume", Kind: sim.Int, Default: int64(100), Min: sim.Bound(1), Description: "requests a host needs in an interval to count for success rate"},
		{Name: "success_rate_stdev_factor", Kind: sim.Float, Default: 1.9, Min: sim.Bound(0), Description: "eject when success rate < mean − factor × stdev (Envoy's 1900 / 1000)"},
		{Name: "enforcing_success_rate", Kind: sim.Ratio, Default: 1.0, Description: "probability a success-rate detection is enforced"},
		{Name: "failure_percentage_threshold", Kind: sim.Ratio, Default: 0.85, Description: "eject when a host's failure fraction reaches this"},
		{Name: "enforcing_failure_percentage", Kind: sim.Ratio, Default: 0.0, Description: "probability a failure-percentage detection is enforced (off by default)"},
		{Name: "failure_percentage_minimum_hosts", Kind: sim.Int, Default: int64(5), Min: sim.Bound(1), Description: "failure-percentage ejection needs this many hosts with enough requests"},
		{Name: "failure_percentage_request_volume", Kind: sim.Int, Default: int64(50), Min: sim.Bound(1), Description: "requests a host needs in an interval to count for failure percentage"},
	},
	Build: func(p sim.Params) (topology.NewGuard, error) {
		cfg := OutlierConfig{
			Consecutive5xx: int(p.Int("consecutive_5xx")), EnforcingConsecutive5xx: p.Float("enforcing_consecutive_5xx"),
			Interval: p.Duration("interval"), BaseEjectionTime: p.Duration("base_ejection_time"),
			MaxEjectionTime: p.Duration("max_ejection_time"), MaxEjectionTimeJitter: p.Duration("max_ejection_time_jitter"),
			MaxEjectionPercent: p.Float("max_ejection_percent"), AlwaysEjectOneHost: p.Bool("always_eject_one_host"),
			LegacyCap:           p.Bool("legacy_cap"),
			SuccessRateMinHosts: int(p.Int("success_rate_minimum_hosts")), SuccessRateVolume: int(p.Int("success_rate_request_volume")),
			SuccessRateStdevFactor: p.Float("success_rate_stdev_factor"), EnforcingSuccessRate: p.Float("enforcing_success_rate"),
			FailurePercentThreshold: p.Float("failure_percentage_threshold"), EnforcingFailurePercent: p.Float("enforcing_failure_percentage"),
			FailurePercentMinHosts: int(p.Int("failure_percentage_minimum_hosts")), FailurePercentVolume: int(p.Int("failure_percentage_request_volume")),
		}
		return func(env topology.GuardEnv, rng *rand.Rand) topology.Guard { return NewOutlierDetector(cfg, env, rng) }, nil
	},
}}

// OutlierConfig is Envoy's outlier detection configuration; the field
// comments in the registry give the documented defaults.
type OutlierConfig struct {
	Consecutive5xx          int
	EnforcingConsecutive5xx float64
	Interval                sim.Time
	BaseEjectionTime        sim.Time
	MaxEjectionTime         sim.Time
	MaxEjectionTimeJitter   sim.Time
	MaxEjectionPercent      float64
	AlwaysEjectOneHost      bool
	LegacyCap               bool
	SuccessRateMinHosts     int
	SuccessRateVolume       int
	SuccessRateStdevFactor  float64
	EnforcingSuccessRate    float64
	FailurePercentThreshold float64
	EnforcingFailurePercent float64
	FailurePercentMinHosts  int
	FailurePercentVolume    int
}

// OutlierDetector is Envoy's passive health checking for one proxy, as
// envoyproxy/envoy source/common/upstream/outlier_detection_impl.cc runs it
// (DetectorImpl::ejectHost, onConsecutiveErrorWorker, onIntervalTimer,
// checkHostForUneject; pinned by test/common/upstream/
// outlier_detection_impl_test.cc), where the code and the docs
// (arch_overview/upstream/outlier.rst) differ, the code:
//
//   - Consecutive 5xx runs inline: the Nth consecutive failure of a host
//     (5xx, reset, timeout — local-origin errors count as 5xx when they are
//     not split out) is a detection. Every detection of an un-ejected host
//     resets the counter, whether the ejection is then capped, not
//     enforced or done (onConsecutiveErrorWorker resets after ejectHost
//     returns), so a host failing on keeps being detected every N failures.
//   - A detection ejects only if the cap allows — (ejected + 1)/hosts ≤
//     max_ejection_percent (strict since PR #27909), or with
//     always_eject_one_host when nothing is ejected; the legacy check
//     ejected/hosts < max let a first ejection through in any cluster — and
//     then only if enforced (probability enforcing_*).
//   - Every interval: lift ejections that have lasted
//     min(base × k, max) + jitter (k the back-off multiplier); then the
//     success-rate and failure-percentage sweeps over the un-ejected hosts
//     with enough requests in the interval (success rate < mean −
//     stdev_factor·stdev of those hosts, or failure fraction ≥ threshold);
//     only then, for each host still un-ejected whose last un-ejection was
//     at least an interval ago, k drops by one.
//   - An enforced ejection raises k by one only while k × base < max +
//     base, so k stops at ⌈(max + base)/base⌉ and a host that has been
//     ejected many times recovers after as many healthy intervals.
//
// Ejected hosts are unhealthy to the proxy's pickers, except in panic.
type OutlierDetector struct {
	cfg   OutlierConfig
	env   topology.GuardEnv
	rng   *rand.Rand
	hosts []outlierHost
	// Ejections counts ejections made (for tests and metrics).
	Ejections int
}

type outlierHost struct {
	consecutive int
	ejected     bool
	until       sim.Time // when the current ejection may be lifted
	times       int      // the ejection multiplier k (Envoy's ejectTimeBackoff)
	unejected   sim.Time // when the last ejection was lifted; −1: never ejected
	ok, total   int      // this interval's results
}

// NewOutlierDetector makes a detector for one proxy.
func NewOutlierDetector(cfg OutlierConfig, env topology.GuardEnv, rng *rand.Rand) *OutlierDetector {
	d := &OutlierDetector{cfg: cfg, env: env, rng: rng, hosts: make([]outlierHost, env.Hosts())}
	for i := range d.hosts {
		d.hosts[i].unejected = -1
	}
	return d
}

// Admit implements topology.Guard: outlier detection never refuses.
func (d *OutlierDetector) Admit(sim.Time, int) bool { return true }

// Observe implements topology.Guard.
func (d *OutlierDetector) Observe(now sim.Time, host int, _ sim.Time, o topology.Outcome) {
	h := &d.hosts[host]
	h.total++
	if !isFailure(o) {
		h.ok++
		h.consecutive = 0
		return
	}
	h.consecutive++
	if h.consecutive == d.cfg.Consecutive5xx && !h.ejected {
		// onConsecutiveErrorWorker: ejectHost (cap, then enforcement), then
		// resetConsecutive5xx whatever ejectHost did.
		d.eject(now, host, d.cfg.EnforcingConsecutive5xx)
		h.consecutive = 0
	}
}

// Interval implements topology.Ticker.
func (d *OutlierDetector) Interval() sim.Time { return d.cfg.Interval }

// Tick implements topology.Ticker, in DetectorImpl::onIntervalTimer's
// order: lift expired ejections, run the success-rate and
// failure-percentage sweeps, then decay the multipliers of hosts still
// un-ejected and un-ejected at least an interval ago.
func (d *OutlierDetector) Tick(now sim.Time) {
	for i := range d.hosts {
		if h := &d.hosts[i]; h.ejected && now >= h.until {
			h.ejected = false
			h.consecutive = 0
			h.unejected = now
			d.env.Eject(i, false)
		}
	}
	d.successRate(now)
	d.failurePercentage(now)
	for i := range d.hosts {
		h := &d.hosts[i]
		h.ok, h.total = 0, 0
		if !h.ejected && h.unejected >= 0 && now-h.unejected >= d.cfg.Interval && h.times > 0 {
			h.times--
		}
	}
}

func (d *OutlierDetector) successRate(now sim.Time) {
	var rates []float64
	for i := range d.hosts {
		if h := &d.hosts[i]; h.total >= d.cfg.SuccessRateVolume && !h.ejected { // Envoy skips ejected hosts
			rates = append(rates, float64(h.ok)/float64(h.total))
		}
	}
	if len(rates) < d.cfg.SuccessRateMinHosts {
		return
	}
	mean, sd := meanStdDev(rates)
	threshold := mean - d.cfg.SuccessRateStdevFactor*sd
	var out []int
	for i := range d.hosts {
		h := &d.hosts[i]
		if h.total >= d.cfg.SuccessRateVolume && !h.ejected && float64(h.ok)/float64(h.total) < threshold {
			out = append(out, i)
		}
	}
	for _, i := range out {
		d.eject(now, i, d.cfg.EnforcingSuccessRate)
	}
}

func (d *OutlierDetector) failurePercentage(now sim.Time) {
	if d.cfg.EnforcingFailurePercent == 0 {
		return
	}
	n := 0
	for i := range d.hosts {
		if h := &d.hosts[i]; h.total >= d.cfg.FailurePercentVolume && !h.ejected {
			n++
		}
	}
	if n < d.cfg.FailurePercentMinHosts {
		return
	}
	for i := range d.hosts {
		h := &d.hosts[i]
		if h.total >= d.cfg.FailurePercentVolume && !h.ejected &&
			float64(h.total-h.ok)/float64(h.total) >= d.cfg.FailurePercentThreshold {
			d.eject(now, i, d.cfg.EnforcingFailurePercent)
		}
	}
}

// eject is DetectorImpl::ejectHost: host is ejected if the ejection cap
// allows it and then the detection is enforced (probability enforcing).
func (d *OutlierDetector) eject(now sim.Time, host int, enforcing float64) {
	ejected := 0
	for i := range d.hosts {
		if d.hosts[i].ejected {
			ejected++
		}
	}
	n := float64(len(d.hosts))
	if pc, ok := d.env.(interface{ Provisioned() int }); ok { // an autoscaled pool: the hosts that exist now
		n = float64(pc.Provisioned())
	}
	if n == 0 {
		return
	}
	var allowed bool
	if d.cfg.LegacyCap {
		allowed = float64(ejected)/n < d.cfg.MaxEjectionPercent
	} else {
		allowed = float64(ejected+1)/n <= d.cfg.MaxEjectionPercent+1e-9 || (d.cfg.AlwaysEjectOneHost && ejected == 0)
	}
	if !allowed || !d.enforced(enforcing) {
		return
	}
	h := &d.hosts[host]
	// ejectTimeBackoff grows only while backoff × base < max + base.
	if sim.Time(h.times)*d.cfg.BaseEjectionTime < d.maxEjection()+d.cfg.BaseEjectionTime {
		h.times++
	}
	h.ejected = true
	h.consecutive = 0
	h.until = now + d.EjectionTime(h.times)
	if d.cfg.MaxEjectionTimeJitter > 0 {
		h.until += sim.Time(d.rng.Int64N(int64(d.cfg.MaxEjectionTimeJitter) + 1))
	}
	d.Ejections++
	d.env.Eject(host, true)
}

// EjectionTime is how long the k-th ejection in a row lasts (before
// jitter): base × k, capped at max(max_ejection_time, base).
func (d *OutlierDetector) EjectionTime(k int) sim.Time {
	return min(d.cfg.BaseEjectionTime*sim.Time(k), d.maxEjection())
}

// maxEjection is max_ejection_time, or base_ejection_time if larger.
func (d *OutlierDetector) maxEjection() sim.Time {
	return max(d.cfg.MaxEjectionTime, d.cfg.BaseEjectionTime)
}

// Multiplier is host's ejection back-off multiplier k.
func (d *OutlierDetector) Multiplier(host int) int { return d.hosts[host].times }

// Ejected reports whether host is ejected now.
func (d *OutlierDetector) Ejected(host int) bool { return d.hosts[host].ejected }

func (d *OutlierDetector) enforced(p float64) bool {
	return p >= 1 || (p > 0 && d.rng.Float64() < p)
}

// meanStdDev is the mean and population standard deviation of xs, as
// Envoy computes them for success-rate ejection.
func meanStdDev(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)))
}
