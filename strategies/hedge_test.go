package strategies

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

func TestHedgePolicyParams(t *testing.T) {
	for _, c := range []struct {
		name string
		set  sim.Params
		want topology.HedgePolicy
		err  string
	}{
		{"envoy by default", sim.Params{}, topology.HedgePolicy{Mode: topology.HedgeOnPerTryTimeout}, ""},
		{"off", sim.Params{"policy": "off"}, topology.HedgePolicy{}, ""},
		{"off with settings", sim.Params{"policy": "off", "max_attempts": int64(3)}, topology.HedgePolicy{}, "policy is off"},
		{"grpc", sim.Params{"policy": "grpc", "max_attempts": int64(3), "hedging_delay": 20 * sim.Millisecond, "non_fatal_status_codes": "UNAVAILABLE", "max_tokens": 10.0, "token_ratio": 0.1},
			topology.HedgePolicy{Mode: topology.HedgeGRPC, MaxAttempts: 3, Delay: 20 * sim.Millisecond, NonFatal: 1 << 14, MaxTokens: 10, TokenRatio: 0.1}, ""},
		{"grpc needs attempts", sim.Params{"policy": "grpc"}, topology.HedgePolicy{}, "max_attempts must be greater than 1"},
		{"grpc tokens need a ratio", sim.Params{"policy": "grpc", "max_attempts": int64(2), "max_tokens": 10.0}, topology.HedgePolicy{}, "token_ratio"},
		{"grpc OK is fatal", sim.Params{"policy": "grpc", "max_attempts": int64(2), "non_fatal_status_codes": "OK"}, topology.HedgePolicy{}, "must not contain OK"},
		{"envoy not implemented", sim.Params{"initial_requests": int64(2)}, topology.HedgePolicy{}, "not implemented"},
		{"envoy with a gRPC setting", sim.Params{"hedging_delay": sim.Millisecond}, topology.HedgePolicy{}, "gRPC hedging setting"},
		{"grpc with an Envoy setting", sim.Params{"policy": "grpc", "max_attempts": int64(2), "additional_request_chance": 0.5}, topology.HedgePolicy{}, "Envoy settings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := HedgeParams.Complete(c.set)
			require.NoError(t, err)
			got, err := HedgePolicy(p)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// FuzzGRPCCodes: whatever is parsed prints back to a list that parses to
// the same set.
func FuzzGRPCCodes(f *testing.F) {
	for _, s := range []string{"UNAVAILABLE", "internal, 14", "", "teapot", "16,0", " ,RESOURCE_EXHAUSTED,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := topology.ParseGRPCCodes(s)
		if err != nil {
			return
		}
		again, err := topology.ParseGRPCCodes(set.String())
		if err != nil || again != set {
			t.Fatalf("%q parsed to %v, which prints as %q and parses to %v, %v", s, set, set.String(), again, err)
		}
	})
}
