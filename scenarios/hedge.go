package scenarios

import (
	"strings"

	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// readHedging reads the hedge policy at path (a strategy's or a
// per-service entry's hedging:), reporting each problem at its position;
// nil when there is none or it is wrong.
func readHedging(d *decoder, path string, raw RawParams) *topology.HedgePolicy {
	if !d.has(path) {
		return nil
	}
	vals, ok := readParams(d, path, "hedging", strategies.HedgeParams, raw)
	if !ok {
		return nil
	}
	if vals.String("policy") == "grpc" {
		ok := true
		for _, k := range []string{"max_attempts", "hedging_delay"} {
			if _, given := raw[k]; !given {
				d.errorPath(path, "e.g. hedging: {policy: grpc, max_attempts: 3, hedging_delay: 20ms}", "gRPC hedging needs %s: grpc-java refuses a hedgingPolicy without it", k)
				ok = false
			}
		}
		if !ok {
			return nil
		}
	}
	h, err := strategies.HedgePolicy(vals)
	if err != nil {
		d.errorPath(path, "", "%s", strings.TrimPrefix(err.Error(), "hedging: "))
		return nil
	}
	return &h
}

// checkHedging reports a hedge policy h (at path) that cannot work with
// the retry policy r its sidecars apply (written at retries, or the
// strategy's).
func checkHedging(d *decoder, path, retries string, h *topology.HedgePolicy, r topology.RetryPolicy) {
	if h == nil {
		return
	}
	switch h.Mode {
	case topology.HedgeOnPerTryTimeout:
		switch {
		case r.PerTryTimeout <= 0:
			d.errorPath(path, "set "+retries+".per_try_timeout, e.g. 50ms, and num_retries ≥ 1", "Envoy hedges when an attempt's per-try timeout fires, and these sidecars' retry policy has no per_try_timeout")
		case r.Attempts < 2:
			d.errorPath(path, "set "+retries+".num_retries ≥ 1", "a hedge is a retry in Envoy, and these sidecars' retry policy allows none (num_retries 0)")
		}
	case topology.HedgeGRPC:
		if r.Attempts > 1 || r.PerTryTimeout > 0 {
			d.errorPath(path, "drop "+retries+" or set num_retries: 0 there", "a gRPC method has a retryPolicy or a hedgingPolicy, not both (gRFC A6), and these sidecars retry")
		}
	}
}
