package otlp_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tangle-sim/tangle/reports/otlp"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

type counted struct {
	td    ptrace.Traces
	ended int
}

type endCounter struct {
	horizon sim.Time
	n       int
}

func (e *endCounter) RequestEnded(now sim.Time, _ *topology.Request) {
	if now <= e.horizon {
		e.n++
	}
}

func run(t *testing.T, cfg otlp.Config, workers int) *scenarios.Result {
	t.Helper()
	sc, err := scenarios.Load("../prom/testdata/small.yaml")
	require.NoError(t, err)
	horizon := sc.Duration.T()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: workers, Attach: func(_ int, b *scenarios.Built) func() any {
		c := otlp.Attach(b.World, cfg, horizon)
		e := &endCounter{horizon: horizon}
		b.World.Observe(e)
		return func() any { return counted{c.Finish(b.Faults.Windows(), 1_700_000_000_000_000_000), e.n} }
	}})
	require.NoError(t, err)
	return res
}

// spans returns every span of td by request ID.
func spans(td ptrace.Traces) map[int64]ptrace.Span {
	out := map[int64]ptrace.Span{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		ss := td.ResourceSpans().At(i).ScopeSpans().At(0).Spans()
		for k := 0; k < ss.Len(); k++ {
			id, _ := ss.At(k).Attributes().Get("tangle.request_id")
			out[id.Int()] = ss.At(k)
		}
	}
	return out
}

// TestEveryRequestIsOneSpan: sampling everything, each request that ended
// in the run is one span; the OTLP JSON reads back; statuses, attributes
// and the fault flag agree with the request.
func TestEveryRequestIsOneSpan(t *testing.T) {
	res := run(t, otlp.Config{Sample: 1, Max: 1 << 30}, 0)
	sawFault := false
	for _, s := range res.Strategies {
		for _, r := range s.Runs {
			got := r.Attached.(counted)
			require.Equal(t, got.ended, got.td.SpanCount())
			b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(got.td)
			require.NoError(t, err)
			back, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
			require.NoError(t, err)
			require.Equal(t, got.td.SpanCount(), back.SpanCount())
			for _, sp := range spans(back) {
				a := sp.Attributes()
				outcome, _ := a.Get("tangle.outcome")
				require.Equal(t, outcome.Str() == "success", sp.Status().Code() == ptrace.StatusCodeOk)
				require.GreaterOrEqual(t, sp.EndTimestamp(), sp.StartTimestamp())
				attempts, _ := a.Get("tangle.attempts")
				retries, _ := a.Get("tangle.retries")
				require.Equal(t, max(0, attempts.Int()-1), retries.Int())
				active, ok := a.Get("tangle.fault.active")
				require.True(t, ok)
				if flags, _ := a.Get("envoy.response_flags"); flags.Str() == "UF" {
					require.True(t, active.Bool(), "a request refused by a crashed replica ran during the crash")
					sawFault = true
				}
			}
		}
	}
	require.True(t, sawFault)
}

// TestSampleIsDeterministicAndShared: the sampled requests depend only on
// the replication's seed, so every strategy traces the same request IDs
// (common random numbers), at about the sampling rate, capped at Max, and
// the bytes do not depend on the number of workers.
func TestSampleIsDeterministicAndShared(t *testing.T) {
	a := run(t, otlp.Config{Sample: 0.1}, 1)
	b := run(t, otlp.Config{Sample: 0.1}, 2)
	for r := range a.Strategies[0].Runs {
		ids := func(res *scenarios.Result, s int) map[int64]bool {
			m := map[int64]bool{}
			for id := range spans(res.Strategies[s].Runs[r].Attached.(counted).td) {
				m[id] = true
			}
			return m
		}
		first, second := ids(a, 0), ids(a, 1)
		ended := a.Strategies[0].Runs[r].Attached.(counted).ended
		require.InDelta(t, 0.1, float64(len(first))/float64(ended), 0.02)
		shared := 0
		for id := range first {
			if second[id] {
				shared++
			}
		}
		require.Greater(t, float64(shared), 0.95*float64(len(first)), "strategies trace the same request IDs")
		for s := range a.Strategies {
			ja, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(a.Strategies[s].Runs[r].Attached.(counted).td)
			jb, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(b.Strategies[s].Runs[r].Attached.(counted).td)
			require.Equal(t, string(ja), string(jb))
		}
	}
	capped := run(t, otlp.Config{Sample: 1, Max: 25}, 0)
	require.Equal(t, 25, capped.Strategies[0].Runs[0].Attached.(counted).td.SpanCount())
}

// TestHopsAreChildSpans: in a service graph (frontend → orders → db, the
// retry-amplification built-in shortened), every call of a sampled request
// is a span of the calling service, in its root request's trace, whose
// parent is the span of the request that made the call; a trace's client
// span is its root.
func TestHopsAreChildSpans(t *testing.T) {
	sc, err := scenarios.Builtin("retry-amplification")
	require.NoError(t, err)
	sc.Duration = scenarios.Duration(20 * sim.Second)
	sc.Warmup = 0
	sc.Replications = 1
	sc.Faults = nil
	sc.Strategies = sc.Strategies[:1]
	horizon := sc.Duration.T()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: 1, Attach: func(_ int, b *scenarios.Built) func() any {
		c := otlp.Attach(b.World, otlp.Config{Sample: 0.05, Max: 1 << 20}, horizon)
		return func() any { return c.Finish(nil, 0) }
	}})
	require.NoError(t, err)
	td := res.Strategies[0].Runs[0].Attached.(ptrace.Traces)
	byID := map[[8]byte]ptrace.Span{}
	var hops []ptrace.Span
	resources := map[string]int{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		name, _ := rs.Resource().Attributes().Get("service.name")
		ss := rs.ScopeSpans().At(0).Spans()
		resources[name.Str()] += ss.Len()
		for k := 0; k < ss.Len(); k++ {
			sp := ss.At(k)
			byID[sp.SpanID()] = sp
			if _, ok := sp.Attributes().Get("source_workload"); ok {
				hops = append(hops, sp)
			}
		}
	}
	require.NotEmpty(t, hops)
	require.Positive(t, resources["users"])
	require.Positive(t, resources["frontend"], "frontend's calls to orders")
	require.Positive(t, resources["orders"], "orders' calls to db")
	linked := 0
	for _, h := range hops {
		parent, ok := byID[h.ParentSpanID()]
		if !ok {
			continue // the parent ended after the horizon
		}
		linked++
		require.Equal(t, parent.TraceID(), h.TraceID(), "a hop is in its parent's trace")
		from, _ := h.Attributes().Get("source_workload")
		require.Equal(t, from.Str(), parent.Name(), "the caller of a hop is the service its parent span called")
		require.False(t, h.StartTimestamp() < parent.StartTimestamp(), "a hop starts within its parent")
	}
	require.Greater(t, linked, len(hops)*9/10, "nearly every hop's parent is in the sample (%d of %d)", linked, len(hops))
}
