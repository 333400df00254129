package strategies

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
)

// RateLimiter is client-go's workqueue rate limiter (util/workqueue/
// default_rate_limiters.go): When says how long item must wait before it is
// retried and counts the attempt; Forget clears the item's failures.
type RateLimiter interface {
	When(now sim.Time, item int32) sim.Time
	Forget(item int32)
	NumRequeues(item int32) int
}

// ItemExponential is ItemExponentialFailureRateLimiter: item's k-th
// consecutive failure waits Base·2^k (k from 0), capped at Max.
// DefaultControllerRateLimiter uses Base 5 ms, Max 1000 s: 5 ms, 10 ms, …,
// 655.36 s, then 1000 s from the 19th failure on.
type ItemExponential struct {
	Base, Max sim.Time
	failures  []int
}

// When implements RateLimiter.
func (r *ItemExponential) When(_ sim.Time, item int32) sim.Time {
	for int(item) >= len(r.failures) {
		r.failures = append(r.failures, 0)
	}
	exp := r.failures[item]
	r.failures[item]++
	backoff := float64(r.Base) * math.Pow(2, float64(exp))
	if backoff > math.MaxInt64 || sim.Time(backoff) > r.Max {
		return r.Max
	}
	return sim.Time(backoff)
}

// Forget implements RateLimiter.
func (r *ItemExponential) Forget(item int32) {
	if int(item) < len(r.failures) {
		r.failures[item] = 0
	}
}

// NumRequeues implements RateLimiter.
func (r *ItemExponential) NumRequeues(item int32) int {
	if int(item) < len(r.failures) {
		return r.failures[item]
	}
	return 0
}

// Bucket is BucketRateLimiter: one token bucket for every item,
// golang.org/x/time/rate's Limiter.Reserve().Delay() — tokens refill at QPS
// up to Burst; each retry takes one, and the wait is how long until the
// bucket's deficit is refilled (the reservation is kept). client-go's
// default is 10 qps, burst 100, "only for retry speed".
type Bucket struct {
	QPS    float64
	Burst  int
	tokens float64
	last   sim.Time
	init   bool
}

// When implements RateLimiter.
func (b *Bucket) When(now sim.Time, _ int32) sim.Time {
	if !b.init {
		b.tokens, b.last, b.init = float64(b.Burst), now, true
	}
	if now > b.last {
		b.tokens = math.Min(float64(b.Burst), b.tokens+(now-b.last).Seconds()*b.QPS)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return sim.Seconds(-b.tokens / b.QPS)
}

// Forget implements RateLimiter (the bucket keeps no per-item state).
func (b *Bucket) Forget(int32) {}

// NumRequeues implements RateLimiter.
func (b *Bucket) NumRequeues(int32) int { return 0 }

// MaxOf is MaxOfRateLimiter: the longest wait of its limiters (each counts
// the attempt); NumRequeues is the largest.
type MaxOf []RateLimiter

// When implements RateLimiter.
func (m MaxOf) When(now sim.Time, item int32) sim.Time {
	var d sim.Time
	for _, l := range m {
		d = max(d, l.When(now, item))
	}
	return d
}

// Forget implements RateLimiter.
func (m MaxOf) Forget(item int32) {
	for _, l := range m {
		l.Forget(item)
	}
}

// NumRequeues implements RateLimiter.
func (m MaxOf) NumRequeues(item int32) int {
	n := 0
	for _, l := range m {
		n = max(n, l.NumRequeues(item))
	}
	return n
}

// DefaultControllerRateLimiter is client-go's default: MaxOf(ItemExponential
// 5 ms..1000 s, Bucket 10 qps burst 100).
func DefaultControllerRateLimiter() MaxOf {
	return MaxOf{&ItemExponential{Base: 5 * sim.Millisecond, Max: 1000 * sim.Second}, &Bucket{QPS: 10, Burst: 100}}
}

// SelfHealBackoff is Argo CD's self-heal delay before attempt k+1 after k
// self-heal attempts (controller/appcontroller.go selfHealRemainingBackoff,
// since v2.14): k.8s.io/apimachinery wait.Backoff{Duration: initial, Factor:
// factor, Cap: cap} stepped k times, so 0, 2, 6, 18, 54, 162, 300, 300, … s
// with the defaults (initial 2 s, factor 3, cap 300 s).
func SelfHealBackoff(k int, initial sim.Time, factor float64, cap sim.Time) sim.Time {
	var delay sim.Time
	d := initial
	steps := k
	for i := 0; i < k; i++ {
		// wait.Backoff.Step: with steps left it returns the current
		// duration and multiplies it, capping (and ending the steps) at Cap;
		// with none left it returns the duration as it stands.
		if steps < 1 {
			delay = d
			continue
		}
		steps--
		delay = d
		d = sim.Time(float64(d) * factor)
		if cap > 0 && d > cap {
			d = cap
			steps = 0
		}
	}
	return delay
}
