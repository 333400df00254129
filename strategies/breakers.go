package strategies

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var breakerGuards = []*GuardDef{
	{
		Name: "envoy-circuit-breaker",
		Description: "Envoy cluster circuit breaker: a proxy refuses (local 503, overflow) any request beyond max_requests outstanding to the cluster; " +
			"max_retries lives in the retry policy, and connection pools (max_connections, max_pending_requests) are not modelled",
		Source: "Envoy api/envoy/config/cluster/v3/circuit_breaker.proto (thresholds 1024/1024/1024/3); arch_overview/upstream/circuit_breaking.rst",
		Params: sim.ParamSet{
			{Name: "max_requests", Kind: sim.Int, Default: int64(1024), Min: sim.Bound(1), Description: "outstanding requests from one proxy to the cluster"},
		},
		Build: func(p sim.Params) (topology.NewGuard, error) {
			max := int(p.Int("max_requests"))
			return func(env topology.GuardEnv, _ *rand.Rand) topology.Guard { return &EnvoyBreaker{Max: max, env: env} }, nil
		},
	},
	{
		Name: "resilience4j",
		Description: "resilience4j circuit breaker: count-based window; opens when the failure (or slow-call) rate over the last calls reaches the threshold, " +
			"stays open for the wait duration, then lets a fixed number of trial calls through half-open and closes or reopens on their rate",
		Source: "resilience4j CircuitBreakerConfig defaults (resilience4j-circuitbreaker CircuitBreakerConfig.java)",
		Params: sim.ParamSet{
			{Name: "failure_rate_threshold", Kind: sim.Ratio, Default: 0.5, Description: "failure rate that opens the breaker"},
			{Name: "slow_call_rate_threshold", Kind: sim.Ratio, Default: 1.0, Description: "slow-call rate that opens the breaker"},
			{Name: "slow_call_duration_threshold", Kind: sim.Duration, Default: 60 * sim.Second, Min: sim.Bound(0), Description: "calls slower than this are slow"},
			{Name: "sliding_window_size", Kind: sim.Int, Default: int64(100), Min: sim.Bound(1), Description: "calls in the count-based window"},
			{Name: "minimum_number_of_calls", Kind: sim.Int, Default: int64(100), Min: sim.Bound(1), Description: "calls recorded before rates are evaluated"},
			{Name: "wait_duration_in_open_state", Kind: sim.Duration, Default: 60 * sim.Second, Min: sim.Bound(0), Description: "time open before trial calls are allowed"},
			{Name: "permitted_calls_in_half_open", Kind: sim.Int, Default: int64(10), Min: sim.Bound(1), Description: "trial calls in the half-open state"},
		},
		Build: func(p sim.Params) (topology.NewGuard, error) {
			cfg := R4JConfig{
				FailureRate: p.Float("failure_rate_threshold"), SlowRate: p.Float("slow_call_rate_threshold"),
				SlowDuration: p.Duration("slow_call_duration_threshold"), Window: int(p.Int("sliding_window_size")),
				MinCalls: int(p.Int("minimum_number_of_calls")), WaitOpen: p.Duration("wait_duration_in_open_state"),
				HalfOpenCalls: int(p.Int("permitted_calls_in_half_open")),
			}
			return func(topology.GuardEnv, *rand.Rand) topology.Guard { return NewR4J(cfg) }, nil
		},
	},
	{
		Name: "hystrix",
		Description: "Hystrix circuit breaker: opens when, over a rolling 10 s window, at least request_volume_threshold requests were made and " +
			"error_threshold_percentage of them failed; after sleep_window one trial request decides whether it closes",
		Source: "Netflix/Hystrix HystrixCommandProperties defaults; wiki How-it-Works (circuit breaker)",
		Params: sim.ParamSet{
			{Name: "request_volume_threshold", Kind: sim.Int, Default: int64(20), Min: sim.Bound(1), Description: "requests in the window before the breaker may open"},
			{Name: "error_threshold_percentage", Kind: sim.Ratio, Default: 0.5, Description: "failure fraction that opens it"},
			{Name: "sleep_window", Kind: sim.Duration, Default: 5 * sim.Second, Min: sim.Bound(0), Description: "time open before one trial request"},
			{Name: "rolling_window", Kind: sim.Duration, Default: 10 * sim.Second, Min: sim.Bound(0.01), Description: "statistics window (10 buckets)"},
		},
		Build: func(p sim.Params) (topology.NewGuard, error) {
			cfg := HystrixConfig{
				Volume: int(p.Int("request_volume_threshold")), ErrorRate: p.Float("error_threshold_percentage"),
				Sleep: p.Duration("sleep_window"), Window: p.Duration("rolling_window"),
			}
			return func(topology.GuardEnv, *rand.Rand) topology.Guard { return NewHystrix(cfg) }, nil
		},
	},
}

// EnvoyBreaker is Envoy's per-cluster max_requests circuit breaker in one
// proxy: with Max requests outstanding, the next is refused with a local
// 503 (upstream_rq_pending_overflow) without reaching any host.
type EnvoyBreaker struct {
	Max int
	env topology.GuardEnv
	// Refused counts refused attempts.
	Refused int
}

// Admit implements topology.Guard.
func (b *EnvoyBreaker) Admit(sim.Time, int) bool {
	if b.env.Active() >= b.Max {
		b.Refused++
		return false
	}
	return true
}

// Observe implements topology.Guard.
func (b *EnvoyBreaker) Observe(sim.Time, int, sim.Time, topology.Outcome) {}

// BreakerState is a circuit breaker's state.
type BreakerState uint8

const (
	Closed BreakerState = iota
	Open
	HalfOpen
)

func (s BreakerState) String() string { return [...]string{"closed", "open", "half-open"}[s] }

// R4JConfig is resilience4j's CircuitBreakerConfig (count-based window).
type R4JConfig struct {
	FailureRate, SlowRate float64
	SlowDuration          sim.Time
	Window, MinCalls      int
	WaitOpen              sim.Time
	HalfOpenCalls         int
}

// R4J is resilience4j's circuit breaker state machine with a count-based
// sliding window (CircuitBreakerStateMachine; defaults from
// CircuitBreakerConfig: failureRateThreshold 50%, slowCallRateThreshold
// 100%, slowCallDurationThreshold 60 s, slidingWindowSize 100,
// minimumNumberOfCalls 100, waitDurationInOpenState 60 s,
// permittedNumberOfCallsInHalfOpenState 10,
// automaticTransitionFromOpenToHalfOpenEnabled false). Closed: each call's
// result enters a ring of the last Window calls; once MinCalls are
// recorded, a failure or slow-call rate at or above its threshold opens
// the breaker. Open: calls are not permitted; the first call after
// WaitOpen moves it to half-open (lazily, as the default has no automatic
// transition). Half-open: HalfOpenCalls trial calls are permitted and
// evaluated the same way once all have returned: open again or close with
// a fresh window. It guards calls to the service, not to one host.
type R4J struct {
	cfg      R4JConfig
	State    BreakerState
	ring     []uint8 // per recorded call: bit 0 failed, bit 1 slow
	next     int
	n        int
	openedAt sim.Time
	trials   int // half-open calls permitted so far
	trialRes []uint8
	// Transitions counts state changes (for tests and metrics).
	Transitions int
}

// NewR4J makes a closed breaker.
func NewR4J(cfg R4JConfig) *R4J {
	return &R4J{cfg: cfg, ring: make([]uint8, cfg.Window)}
}

// Admit implements topology.Guard.
func (b *R4J) Admit(now sim.Time, _ int) bool {
	switch b.State {
	case Open:
		if now < b.openedAt+b.cfg.WaitOpen {
			return false
		}
		b.to(HalfOpen)
		b.trials, b.trialRes = 0, b.trialRes[:0]
		fallthrough
	case HalfOpen:
		if b.trials >= b.cfg.HalfOpenCalls {
			return false
		}
		b.trials++
	}
	return true
}

// Observe implements topology.Guard.
func (b *R4J) Observe(now sim.Time, _ int, rtt sim.Time, o topology.Outcome) {
	var res uint8
	if isFailure(o) {
		res |= 1
	}
	if rtt > b.cfg.SlowDuration {
		res |= 2
	}
	switch b.State {
	case Closed:
		b.ring[b.next] = res
		b.next = (b.next + 1) % len(b.ring)
		b.n = min(b.n+1, len(b.ring))
		if b.n >= min(b.cfg.MinCalls, len(b.ring)) && b.tripped(b.ring[:b.n]) {
			b.open(now)
		}
	case HalfOpen:
		b.trialRes = append(b.trialRes, res)
		if len(b.trialRes) >= b.cfg.HalfOpenCalls {
			if b.tripped(b.trialRes) {
				b.open(now)
			} else {
				b.to(Closed)
				b.n, b.next = 0, 0
			}
		}
	}
}

// tripped reports whether results reach the failure or slow-call threshold.
func (b *R4J) tripped(res []uint8) bool {
	var failed, slow int
	for _, r := range res {
		failed += int(r & 1)
		slow += int(r >> 1 & 1)
	}
	n := float64(len(res))
	return float64(failed)/n >= b.cfg.FailureRate || float64(slow)/n >= b.cfg.SlowRate
}

func (b *R4J) open(now sim.Time) {
	b.to(Open)
	b.openedAt = now
}

func (b *R4J) to(s BreakerState) {
	if b.State != s {
		b.State = s
		b.Transitions++
	}
}

// HystrixConfig is Hystrix's circuit breaker configuration.
type HystrixConfig struct {
	Volume    int
	ErrorRate float64
	Sleep     sim.Time
	Window    sim.Time
}

// hystrixBuckets is Hystrix's metrics.rollingStats.numBuckets default.
const hystrixBuckets = 10

// Hystrix is Hystrix's circuit breaker (HystrixCircuitBreakerImpl with
// HystrixCommandProperties defaults: circuitBreaker.requestVolumeThreshold
// 20, errorThresholdPercentage 50, sleepWindowInMilliseconds 5000,
// metrics.rollingStats 10 s in 10 buckets). Closed: it opens when the
// rolling window holds at least Volume requests and the error percentage
// reaches the threshold. Open: requests fail fast until Sleep has passed;
// then one trial request is let through (the single test), whose success
// closes the breaker (resetting the window) and whose failure reopens it
// for another sleep window. Health is evaluated as results arrive (Hystrix
// snapshots every 500 ms; the difference is below this model's grain).
type Hystrix struct {
	cfg      HystrixConfig
	State    BreakerState
	ok, bad  [hystrixBuckets]int
	epoch    [hystrixBuckets]int64 // which bucket period each slot holds
	openedAt sim.Time
	testing  bool // the single trial request is out
	// Transitions counts state changes.
	Transitions int
}

// NewHystrix makes a closed breaker.
func NewHystrix(cfg HystrixConfig) *Hystrix { return &Hystrix{cfg: cfg} }

// Admit implements topology.Guard.
func (h *Hystrix) Admit(now sim.Time, _ int) bool {
	if h.State == Closed {
		return true
	}
	if h.testing || now < h.openedAt+h.cfg.Sleep {
		return false
	}
	h.testing = true // allowSingleTest
	return true
}

// Observe implements topology.Guard.
func (h *Hystrix) Observe(now sim.Time, _ int, _ sim.Time, o topology.Outcome) {
	if h.State == Open && h.testing {
		h.testing = false
		if isFailure(o) {
			h.openedAt = now
			return
		}
		h.State = Closed
		h.Transitions++
		h.ok, h.bad, h.epoch = [hystrixBuckets]int{}, [hystrixBuckets]int{}, [hystrixBuckets]int64{}
		return
	}
	if h.State != Closed {
		return
	}
	width := h.cfg.Window / hystrixBuckets
	period := int64(now / width)
	i := int(period % hystrixBuckets)
	if h.epoch[i] != period {
		h.epoch[i], h.ok[i], h.bad[i] = period, 0, 0
	}
	if isFailure(o) {
		h.bad[i]++
	} else {
		h.ok[i]++
	}
	var ok, bad int
	for k := range h.epoch {
		if period-h.epoch[k] < hystrixBuckets {
			ok += h.ok[k]
			bad += h.bad[k]
		}
	}
	if total := ok + bad; total >= h.cfg.Volume && float64(bad)/float64(total) >= h.cfg.ErrorRate {
		h.State = Open
		h.openedAt = now
		h.Transitions++
	}
}
