package strategies

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// HedgeParams declares a strategy's `hedging:` settings: Envoy's route
// HedgePolicy (api/envoy/config/route/v3/route_components.proto; the
// router, source/common/router/router.cc, reads only
// hedge_on_per_try_timeout) or gRPC's hedgingPolicy and retryThrottling
// (gRFC A6, as grpc-java's RetriableStream and ManagedChannelServiceConfig
// run them; grpc-go has no hedging). See topology/hedge.go.
var HedgeParams = sim.ParamSet{
	{Name: "policy", Kind: sim.Enum, Default: "envoy", Choices: []string{"envoy", "grpc", "off"}, Description: "off: no hedging (for a per_service entry under a hedging strategy); envoy: hedge_on_per_try_timeout — when an attempt's per-try timeout fires it is kept and a retry is sent alongside (num_retries, back-off, budget and per_try_timeout from retries:; retry_on is not consulted for the hedge), the first good answer wins; grpc: hedgingPolicy — a copy every hedging_delay up to max_attempts, the first answer wins, a fatal status ends the call", Source: "Envoy router.cc Filter::onSoftPerTryTimeout, retry_state_impl.cc shouldHedgeRetryPerTryTimeout; grpc-java RetriableStream"},
	{Name: "initial_requests", Kind: sim.Int, Default: int64(1), Description: "envoy: requests sent at first; only 1 — the field is [#not-implemented-hide:] and Envoy's router never reads it", Source: "Envoy HedgePolicy.initial_requests (not implemented)"},
	{Name: "additional_request_chance", Kind: sim.Ratio, Default: 0.0, Description: "envoy: chance of one more initial request; only 0 — [#not-implemented-hide:], never read by the router", Source: "Envoy HedgePolicy.additional_request_chance (not implemented)"},
	{Name: "max_attempts", Kind: sim.Int, Default: int64(0), Description: "grpc (required): copies sent, the first included; at least 2, values above 5 count as 5", Source: "gRFC A6 hedgingPolicy.maxAttempts; grpc-java ManagedChannelServiceConfig (min(maxAttempts, maxHedgedAttempts 5))"},
	{Name: "hedging_delay", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "grpc (required by grpc-java; A6 says optional, 0s): time between copies; 0 sends them all at once", Source: "gRFC A6 hedgingPolicy.hedgingDelay; grpc-java \"hedgingDelay cannot be empty\""},
	{Name: "non_fatal_status_codes", Kind: sim.String, Default: "", Valid: func(s string) error { _, err := topology.ParseGRPCCodes(s); return err },
		Description: "grpc: comma-separated status codes on which the call waits for the other copies instead of ending (a server error is UNKNOWN, a refusal, reset or missing host UNAVAILABLE); empty: every failure is fatal", Source: "gRFC A6 hedgingPolicy.nonFatalStatusCodes; grpc doc/http-grpc-status-mapping.md"},
	{Name: "max_tokens", Kind: sim.Float, Default: 0.0, Min: sim.Bound(0), Max: sim.Bound(1000), Description: "grpc retryThrottling per sidecar: tokens start here, a non-fatal failure takes 1, no copy is sent at or below max_tokens/2; 0: no throttling", Source: "gRFC A6 retryThrottling.maxTokens; grpc-java RetriableStream.Throttle"},
	{Name: "token_ratio", Kind: sim.Float, Default: 0.0, Min: sim.Bound(0), Description: "grpc retryThrottling: tokens a committed success gives back (3 decimal places)", Source: "gRFC A6 retryThrottling.tokenRatio"},
}

// HedgePolicy turns complete, checked `hedging:` parameters into the
// topology's hedge policy. Whether they fit the strategy's retry policy is
// checked where both are known.
func HedgePolicy(p sim.Params) (topology.HedgePolicy, error) {
	var h topology.HedgePolicy
	grpcOnly := []string{"max_attempts", "hedging_delay", "non_fatal_status_codes", "max_tokens", "token_ratio"}
	defaults := HedgeParams.Defaults()
	switch p.String("policy") {
	case "off":
		for _, k := range HedgeParams.Names()[1:] {
			if p[k] != defaults[k] {
				return h, fmt.Errorf("%s is set but the policy is off", k)
			}
		}
		return h, nil
	case "envoy":
		h.Mode = topology.HedgeOnPerTryTimeout
		if p.Int("initial_requests") != 1 || p.Float("additional_request_chance") != 0 {
			return h, fmt.Errorf("initial_requests and additional_request_chance are not implemented by Envoy's router (route_components.proto marks them [#not-implemented-hide:]); leave them out")
		}
		for _, k := range grpcOnly {
			if p[k] != defaults[k] {
				return h, fmt.Errorf("%s is a gRPC hedging setting; with policy: envoy hedges follow retries.per_try_timeout and retries.num_retries", k)
			}
		}
		return h, nil
	}
	codes, err := topology.ParseGRPCCodes(p.String("non_fatal_status_codes"))
	if err != nil {
		return h, err
	}
	h = topology.HedgePolicy{
		Mode: topology.HedgeGRPC, MaxAttempts: int(p.Int("max_attempts")), Delay: p.Duration("hedging_delay"), NonFatal: codes,
		MaxTokens: p.Float("max_tokens"), TokenRatio: p.Float("token_ratio"),
	}
	if p.Int("initial_requests") != 1 || p.Float("additional_request_chance") != 0 {
		return h, fmt.Errorf("initial_requests and additional_request_chance are Envoy settings (and not implemented there); gRPC sends max_attempts copies every hedging_delay")
	}
	return h, h.Validate()
}
