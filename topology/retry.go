package topology

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tangle-sim/tangle/sim"
)

// RetryOn is the set of attempt results a retry policy retries.
type RetryOn uint8

const (
	RetryErrors   RetryOn = 1 << iota // error responses (HTTP 500)
	RetryRejected                     // an upstream refused it (503 from a full queue)
	RetryReset                        // the connection failed or was reset (host down)
	RetryTimeout                      // the per-try timeout fired (a 504)
)

// retryOnNames maps the names scenario files use to sets, after Envoy's
// x-envoy-retry-on values: "5xx" covers any 5xx and no response at all
// (resets, per-try timeouts); "gateway-error" covers 502/503/504 (refusals,
// resets, per-try timeouts); "reset" and "connect-failure" cover
// connection failures.
var retryOnNames = map[string]RetryOn{
	"5xx":             RetryErrors | RetryRejected | RetryReset | RetryTimeout,
	"gateway-error":   RetryRejected | RetryReset | RetryTimeout,
	"reset":           RetryReset,
	"connect-failure": RetryReset,
	"error":           RetryErrors,
	"rejected":        RetryRejected,
	"timeout":         RetryTimeout,
}

// RetryOnNames lists the accepted retry condition names, sorted.
func RetryOnNames() []string {
	return []string{"5xx", "connect-failure", "error", "gateway-error", "rejected", "reset", "timeout"}
}

// ParseRetryOn parses a comma-separated list of retry conditions.
func ParseRetryOn(s string) (RetryOn, error) {
	var on RetryOn
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, ok := retryOnNames[part]
		if !ok {
			return 0, fmt.Errorf("unknown retry condition %q (want a comma-separated list of %s)", part, strings.Join(RetryOnNames(), ", "))
		}
		on |= v
	}
	return on, nil
}

// matches reports whether an attempt that ended with o (cause c) is retried.
func (on RetryOn) matches(o Outcome, c Cause) bool {
	switch {
	case o == Error:
		return on&RetryErrors != 0
	case o == Rejected && c == CauseQueueFull:
		return on&RetryRejected != 0
	case o == Dropped && c == CauseHostDown:
		return on&RetryReset != 0
	case o == Timeout && c == CauseTryTimeout:
		return on&RetryTimeout != 0
	}
	return false // local refusals, no host, overall timeouts
}

// RetryBackoff is how long a retry waits.
type RetryBackoff uint8

const (
	// BackoffJittered is Envoy's fully jittered exponential back-off as its
	// code runs it: retry n waits U[0, min(2^(n−1)·base, max)) — 25, 50,
	// 100, 200, then 250 ms ranges at the defaults (base 25 ms, max 10 ×
	// base) — source/common/common/backoff_strategy.cc
	// JitteredExponentialBackOffStrategy::nextBackOffMs (random() %
	// next_interval_, which doubles until it reaches max), used by
	// source/common/router/retry_state_impl.cc. The docs (router_filter.rst)
	// give [0, (2^n − 1)·base) instead; the code wins.
	BackoffJittered RetryBackoff = iota
	// BackoffFixed waits base before every retry, without jitter (a naive
	// client library).
	BackoffFixed
)

// RetryPolicy is how a caller retries failed attempts: which failures,
// how many times, how long each try may take, how long to back off, and
// what bounds the number of retries in flight. Attempts 1 disables retries.
type RetryPolicy struct {
	Attempts      int      // attempts per request including the first, ≥ 1
	On            RetryOn  // which failures are retried
	PerTryTimeout sim.Time // 0: an attempt waits as long as the request may
	Backoff       RetryBackoff
	BackoffBase   sim.Time
	BackoffMax    sim.Time
	// BudgetPercent > 0 enables an Envoy retry budget: concurrent retries
	// ≤ max(BudgetMin, BudgetPercent × outstanding attempts).
	BudgetPercent float64
	BudgetMin     int
	// MaxConcurrent caps concurrent retries when there is no budget
	// (Envoy's max_retries circuit breaker, 3); 0 means unlimited.
	MaxConcurrent int
	// OtherHost re-picks once when a retry lands on the host the previous
	// attempt used (Envoy's previous_hosts predicate with
	// host_selection_retry_max_attempts 1).
	OtherHost bool
}

// Validate reports impossible settings.
func (p RetryPolicy) Validate() error {
	switch {
	case p.Attempts < 1:
		return fmt.Errorf("retries: attempts must be at least 1, got %d", p.Attempts)
	case p.PerTryTimeout < 0 || p.BackoffBase < 0 || p.BackoffMax < 0:
		return fmt.Errorf("retries: durations must not be negative")
	case !(p.BudgetPercent >= 0 && p.BudgetPercent <= 1):
		return fmt.Errorf("retries: budget must be a ratio in [0, 1], got %g", p.BudgetPercent)
	case p.BudgetMin < 0 || p.MaxConcurrent < 0:
		return fmt.Errorf("retries: budget minimum and concurrency cap must not be negative")
	}
	return nil
}

// delay is the back-off before retry number n (n = 1 for the first retry).
func (p RetryPolicy) delay(n int, rng *rand.Rand) sim.Time {
	switch p.Backoff {
	case BackoffFixed:
		return p.BackoffBase
	}
	if p.BackoffBase <= 0 {
		return 0
	}
	upper := p.BackoffBase << min(max(n-1, 0), 30)
	if p.BackoffMax > 0 {
		upper = min(upper, p.BackoffMax)
	}
	return sim.Time(rng.Int64N(int64(upper)))
}

// admits reports whether a caller with active outstanding attempts and
// retries retries in flight may start another retry. A budget allows the
// integer part of budget × active, at least BudgetMin, as Envoy's
// RetryBudgetImpl::max() computes it (source/common/upstream/
// resource_manager_impl.h: std::max<uint64_t>(budget_percent / 100 *
// active, min_retry_concurrency), checked as count() < max()).
func (p RetryPolicy) admits(active, retries int) bool {
	if p.BudgetPercent > 0 {
		return retries < max(p.BudgetMin, int(p.BudgetPercent*float64(active)))
	}
	return p.MaxConcurrent == 0 || retries < p.MaxConcurrent
}
