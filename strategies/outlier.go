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
	Source: "Envoy api/envoy/config/cluster/v3/outlier_detection.proto; docs arch_overview/upstream/outlier.rst",
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

// OutlierDetector is Envoy's passive health checking for one proxy
// (envoyproxy/envoy source/common/upstream/outlier_detection_impl.cc, as
// documented in arch_overview/upstream/outlier.rst and
// outlier_detection.proto):
//
//   - Consecutive 5xx runs inline: the Nth consecutive failure of a host
//     (5xx, reset, timeout — local-origin errors count as 5xx when they are
//     not split out) is a detection, enforced with probability
//     enforcing_consecutive_5xx.
//   - Success rate and failure percentage run every interval over the hosts
//     with enough requests in it, if there are enough such hosts: eject
//     when success rate < mean − stdev_factor·stdev, or failure fraction ≥
//     the threshold.
//   - A detection ejects only if the cap allows: (ejected + 1)/hosts ≤
//     max_ejection_percent (strict since PR #27909), or with
//     always_eject_one_host when nothing is ejected; the legacy check
//     ejected/hosts < max let a first ejection through in any cluster.
//   - An ejection lasts base_ejection_time × k, k the times the host has
//     been ejected, capped at max(max_ejection_time, base), plus jitter;
//     hosts return at the first interval tick after it elapses, and k
//     drops by one for each interval a host spends un-ejected.
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
	times       int      // the ejection multiplier k
	ok, total   int      // this interval's results
}

// NewOutlierDetector makes a detector for one proxy.
func NewOutlierDetector(cfg OutlierConfig, env topology.GuardEnv, rng *rand.Rand) *OutlierDetector {
	return &OutlierDetector{cfg: cfg, env: env, rng: rng, hosts: make([]outlierHost, env.Hosts())}
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
	if h.consecutive == d.cfg.Consecutive5xx && !h.ejected && d.enforced(d.cfg.EnforcingConsecutive5xx) {
		d.eject(now, host)
	}
}

// Interval implements topology.Ticker.
func (d *OutlierDetector) Interval() sim.Time { return d.cfg.Interval }

// Tick implements topology.Ticker: lift expired ejections, decay the
// multipliers, then run the success-rate and failure-percentage sweeps.
func (d *OutlierDetector) Tick(now sim.Time) {
	for i := range d.hosts {
		h := &d.hosts[i]
		switch {
		case h.ejected && now >= h.until:
			h.ejected = false
			h.consecutive = 0
			d.env.Eject(i, false)
		case !h.ejected && h.times > 0:
			h.times--
		}
	}
	d.successRate(now)
	d.failurePercentage(now)
	for i := range d.hosts {
		d.hosts[i].ok, d.hosts[i].total = 0, 0
	}
}

func (d *OutlierDetector) successRate(now sim.Time) {
	var rates []float64
	for i := range d.hosts {
		if h := &d.hosts[i]; h.total >= d.cfg.SuccessRateVolume {
			rates = append(rates, float64(h.ok)/float64(h.total))
		}
	}
	if len(rates) < d.cfg.SuccessRateMinHosts {
		return
	}
	mean, sd := meanStdDev(rates)
	threshold := mean - d.cfg.SuccessRateStdevFactor*sd
	for i := range d.hosts {
		h := &d.hosts[i]
		if h.total >= d.cfg.SuccessRateVolume && !h.ejected &&
			float64(h.ok)/float64(h.total) < threshold && d.enforced(d.cfg.EnforcingSuccessRate) {
			d.eject(now, i)
		}
	}
}

func (d *OutlierDetector) failurePercentage(now sim.Time) {
	if d.cfg.EnforcingFailurePercent == 0 {
		return
	}
	n := 0
	for i := range d.hosts {
		if d.hosts[i].total >= d.cfg.FailurePercentVolume {
			n++
		}
	}
	if n < d.cfg.FailurePercentMinHosts {
		return
	}
	for i := range d.hosts {
		h := &d.hosts[i]
		if h.total >= d.cfg.FailurePercentVolume && !h.ejected &&
			float64(h.total-h.ok)/float64(h.total) >= d.cfg.FailurePercentThreshold && d.enforced(d.cfg.EnforcingFailurePercent) {
			d.eject(now, i)
		}
	}
}

// eject ejects host if the ejection cap allows it.
func (d *OutlierDetector) eject(now sim.Time, host int) {
	ejected := 0
	for i := range d.hosts {
		if d.hosts[i].ejected {
			ejected++
		}
	}
	n := float64(len(d.hosts))
	var allowed bool
	if d.cfg.LegacyCap {
		allowed = float64(ejected)/n < d.cfg.MaxEjectionPercent
	} else {
		allowed = float64(ejected+1)/n <= d.cfg.MaxEjectionPercent+1e-9 || (d.cfg.AlwaysEjectOneHost && ejected == 0)
	}
	if !allowed {
		return
	}
	h := &d.hosts[host]
	h.times++
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
	return min(d.cfg.BaseEjectionTime*sim.Time(k), max(d.cfg.MaxEjectionTime, d.cfg.BaseEjectionTime))
}

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
