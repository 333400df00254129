package strategies

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// RetryParams declares a strategy's `retries:` settings, after Envoy's
// route retry policy (api/envoy/config/route/v3/route_components.proto
// RetryPolicy; docs configuration/http/http_filters/router_filter.rst) and
// cluster retry budgets (circuit_breaker.proto RetryBudget).
var RetryParams = sim.ParamSet{
	{Name: "num_retries", Kind: sim.Int, Default: int64(1), Min: sim.Bound(0), Description: "retries after the first attempt", Source: "Envoy RetryPolicy.num_retries (default 1)"},
	{Name: "retry_on", Kind: sim.String, Default: "5xx", Valid: func(s string) error { _, err := topology.ParseRetryOn(s); return err },
		Description: "comma-separated failures to retry (Envoy x-envoy-retry-on): 5xx (errors, refusals, resets, per-try timeouts), gateway-error, reset, connect-failure, error, rejected, timeout", Source: "Envoy router_filter.rst x-envoy-retry-on"},
	{Name: "per_try_timeout", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "time an attempt may take before it is abandoned and retried; 0: none", Source: "Envoy RetryPolicy.per_try_timeout"},
	{Name: "backoff", Kind: sim.Enum, Default: "jittered", Choices: []string{"jittered", "fixed"}, Description: "jittered: Envoy's fully jittered exponential, retry n waits U[0, min(2^(n−1)·base, max)) as the code runs it (the docs say (2^n−1)·base); fixed: base every time, no jitter (a naive client)", Source: "Envoy source/common/common/backoff_strategy.cc JitteredExponentialBackOffStrategy, via router/retry_state_impl.cc"},
	{Name: "base_interval", Kind: sim.Duration, Default: 25 * sim.Millisecond, Min: sim.Bound(0), Description: "back-off base", Source: "Envoy RetryBackOff.base_interval (25 ms)"},
	{Name: "max_interval", Kind: sim.Duration, Default: 250 * sim.Millisecond, Min: sim.Bound(0), Description: "back-off cap", Source: "Envoy RetryBackOff.max_interval (10 × base)"},
	{Name: "budget", Kind: sim.Ratio, Default: 0.0, Description: "retry budget: concurrent retries < max(budget_min, ⌊budget × outstanding requests⌋) (Envoy's default budget_percent is 20%); 0: no budget, max_retries applies", Source: "Envoy RetryBudget.budget_percent; source/common/upstream/resource_manager_impl.h RetryBudgetImpl::max"},
	{Name: "budget_min", Kind: sim.Int, Default: int64(3), Min: sim.Bound(0), Description: "retry budget floor", Source: "Envoy RetryBudget.min_retry_concurrency (3)"},
	{Name: "max_retries", Kind: sim.Int, Default: int64(3), Min: sim.Bound(0), Description: "concurrent retries per proxy when there is no budget; 0: unlimited (a naive client)", Source: "Envoy CircuitBreakers.Thresholds.max_retries (3)"},
	{Name: "retry_other_host", Kind: sim.Bool, Default: false, Description: "re-pick once when a retry lands on the previous attempt's host", Source: "Envoy previous_hosts retry predicate (Istio sets it)"},
}

// RetryPolicy turns complete, checked `retries:` parameters into the
// topology's retry policy.
func RetryPolicy(p sim.Params) (topology.RetryPolicy, error) {
	on, err := topology.ParseRetryOn(p.String("retry_on"))
	if err != nil {
		return topology.RetryPolicy{}, err
	}
	pol := topology.RetryPolicy{
		Attempts: int(p.Int("num_retries")) + 1, On: on, PerTryTimeout: p.Duration("per_try_timeout"),
		BackoffBase: p.Duration("base_interval"), BackoffMax: p.Duration("max_interval"),
		BudgetPercent: p.Float("budget"), BudgetMin: int(p.Int("budget_min")),
		MaxConcurrent: int(p.Int("max_retries")), OtherHost: p.Bool("retry_other_host"),
	}
	if p.String("backoff") == "fixed" {
		pol.Backoff = topology.BackoffFixed
	}
	if pol.BackoffMax > 0 && pol.BackoffMax < pol.BackoffBase {
		return pol, fmt.Errorf("max_interval (%v) must not be below base_interval (%v)", pol.BackoffMax, pol.BackoffBase)
	}
	return pol, pol.Validate()
}
