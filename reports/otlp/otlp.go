// Package otlp writes a sample of a run's requests as OpenTelemetry traces
// (OTLP JSON, built with the collector's pdata types), loadable by trace
// tools such as the OpenTelemetry Collector's otlpjsonfile receiver.
//
// Each sampled request is one CLIENT span of its client's sidecar calling
// the target service, from the request's arrival to its end, with what a
// mesh records: the destination service and replica, attempts and retries,
// the HTTP status and Envoy response flags, the outcome and its cause, and
// which simulated faults were active on its replica while it was in
// flight. In a service graph every call a sampled request causes is a
// CLIENT span too, one per hop: the calling service's sidecar calling the
// callee, a child of the span of the request whose attempt made the call,
// in the same trace. A Collector uses only the world's public observer
// hooks (RequestEnded, HopEnded); attempts are attributes, not spans of
// their own, since the world reports an attempt when it is sent but not
// when it ends.
//
//	c := otlp.Attach(world, otlp.Config{Sample: 0.01}, horizon)
//	… run and drain …
//	td := c.Finish(faultWindows, startNs)
//	b, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
package otlp

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/reports/prom"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Config sets which requests a Collector keeps.
type Config struct {
	// Sample is the fraction of requests traced, chosen by a hash of the
	// run's seed and the request's ID (so the same requests every run);
	// 0 means 1%.
	Sample float64
	// Max caps the traces kept per run (memory stays bounded); 0 means
	// 10,000.
	Max int
	// Namespace is the Kubernetes namespace of the services; empty means
	// "default".
	Namespace string
}

type span struct {
	id, root, parent  uint64 // the request, its root and its caller (0 for a client request)
	from              int32  // calling service of a hop (-1 for a client's request)
	client, service   int32
	replica           int32
	arrived, ended    sim.Time
	attempts          int
	outcome           topology.Outcome
	cause             topology.Cause
	caller            int32
	signalAge, waited sim.Time
}

// Collector keeps the sampled requests of one run.
type Collector struct {
	w       *topology.World
	cfg     Config
	horizon sim.Time
	limit   uint64 // sample when hash < limit
	spans   []span
}

// Attach makes a collector observe w for a run that ends at horizon.
func Attach(w *topology.World, cfg Config, horizon sim.Time) *Collector {
	if cfg.Sample <= 0 {
		cfg.Sample = 0.01
	}
	if cfg.Max <= 0 {
		cfg.Max = 10_000
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	limit := ^uint64(0)
	if cfg.Sample < 1 {
		limit = uint64(cfg.Sample * (1 << 63) * 2)
	}
	c := &Collector{w: w, cfg: cfg, horizon: horizon, limit: limit}
	w.Observe(c)
	w.ObserveHops(c)
	return c
}

// hash64 mixes the world's seed with x.
func (c *Collector) hash64(x uint64, salt byte) uint64 {
	var b [17]byte
	binary.LittleEndian.PutUint64(b[:8], c.w.Seed)
	binary.LittleEndian.PutUint64(b[8:16], x)
	b[16] = salt
	return xxhash.Sum64(b[:])
}

// RequestEnded implements topology.Observer.
func (c *Collector) RequestEnded(now sim.Time, q *topology.Request) {
	if now > c.horizon || len(c.spans) >= c.cfg.Max || c.hash64(q.ID, 0) >= c.limit {
		return
	}
	c.spans = append(c.spans, span{
		id: q.ID, root: q.ID, from: -1, client: q.Client, service: int32(c.w.Clients[q.Client].Target.ID), replica: q.Replica,
		arrived: q.Arrived, ended: q.Ended, attempts: q.Attempts(), outcome: q.Outcome, cause: q.Cause,
		caller: q.Caller, signalAge: q.SignalAge, waited: q.Waited,
	})
}

// HopEnded implements topology.HopObserver: a call of a sampled request
// (sampled by its root, so a trace has all its hops) is a span.
func (c *Collector) HopEnded(now sim.Time, e *topology.CallEdge, q *topology.Request) {
	if q.Root == 0 || now > c.horizon || len(c.spans) >= c.cfg.Max || c.hash64(q.Root, 0) >= c.limit {
		return
	}
	c.spans = append(c.spans, span{
		id: q.ID, root: q.Root, parent: q.Parent, from: int32(e.From.ID), client: q.Client, service: int32(e.To.ID), replica: q.Replica,
		arrived: q.Arrived, ended: q.Ended, attempts: q.Attempts(), outcome: q.Outcome, cause: q.Cause,
		caller: q.Caller, signalAge: q.SignalAge, waited: q.Waited,
	})
}

// Finish returns the sampled requests as traces, timestamps startNs (Unix
// nanoseconds) plus simulated time; windows are the faults that fired.
// Spans are grouped by the caller — a client, or for hops the calling
// service — one resource each (clients first, then services, in
// declaration order), in the order the requests ended.
func (c *Collector) Finish(windows []faults.Window, startNs int64) ptrace.Traces {
	td := ptrace.NewTraces()
	resource := func(name string) ptrace.SpanSlice {
		rs := td.ResourceSpans().AppendEmpty()
		attrs := rs.Resource().Attributes()
		attrs.PutStr("service.name", name)
		attrs.PutStr("k8s.namespace.name", c.cfg.Namespace)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("github.com/tangle-sim/tangle")
		return ss.Spans()
	}
	byClient := make([]ptrace.SpanSlice, len(c.w.Clients))
	for i, cl := range c.w.Clients {
		byClient[i] = resource(cl.Name)
	}
	byService := make([]ptrace.SpanSlice, len(c.w.Services))
	hops := make([]bool, len(c.w.Services))
	for _, s := range c.spans {
		if s.from >= 0 {
			hops[s.from] = true
		}
	}
	for i, svc := range c.w.Services {
		if hops[i] {
			byService[i] = resource(svc.Name)
		}
	}
	spanID := func(id uint64) pcommon.SpanID {
		var sid [8]byte
		binary.BigEndian.PutUint64(sid[:], c.hash64(id, 3))
		return pcommon.SpanID(sid)
	}
	for _, s := range c.spans {
		svc := c.w.Services[s.service]
		var sp ptrace.Span
		if s.from >= 0 {
			sp = byService[s.from].AppendEmpty()
			sp.SetParentSpanID(spanID(s.parent))
		} else {
			sp = byClient[s.client].AppendEmpty()
		}
		var tid [16]byte
		binary.BigEndian.PutUint64(tid[:8], c.hash64(s.root, 1))
		binary.BigEndian.PutUint64(tid[8:], c.hash64(s.root, 2))
		sp.SetTraceID(pcommon.TraceID(tid))
		sp.SetSpanID(spanID(s.id))
		sp.SetName(svc.Name)
		sp.SetKind(ptrace.SpanKindClient)
		sp.SetStartTimestamp(pcommon.Timestamp(startNs + int64(s.arrived)))
		sp.SetEndTimestamp(pcommon.Timestamp(startNs + int64(s.ended)))
		a := sp.Attributes()
		resp := prom.ResponseOf(s.outcome, s.cause)
		a.PutStr("server.address", fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, c.cfg.Namespace))
		a.PutStr("destination_service_name", svc.Name)
		replica := ""
		if s.replica >= 0 {
			replica = c.w.Replicas[s.replica].Name
			a.PutStr("tangle.replica", replica)
		}
		a.PutInt("tangle.caller", int64(s.caller))
		a.PutInt("tangle.request_id", int64(s.id))
		if s.from >= 0 {
			a.PutStr("source_workload", c.w.Services[s.from].Name)
			a.PutInt("tangle.root_request_id", int64(s.root))
		}
		a.PutInt("tangle.attempts", int64(s.attempts))
		a.PutInt("tangle.retries", int64(max(0, s.attempts-1)))
		a.PutStr("tangle.outcome", s.outcome.String())
		if s.cause != topology.CauseNone {
			a.PutStr("tangle.cause", s.cause.String())
		}
		if resp.Code != 0 {
			a.PutInt("http.response.status_code", int64(resp.Code))
		}
		a.PutStr("envoy.response_flags", resp.Flags)
		if s.signalAge >= 0 {
			a.PutDouble("tangle.signal_age_s", s.signalAge.Seconds())
		}
		if s.waited > 0 {
			a.PutDouble("tangle.queue_wait_s", s.waited.Seconds())
		}
		active := activeFaults(windows, s, replica, svc)
		a.PutBool("tangle.fault.active", len(active) > 0)
		if len(active) > 0 {
			kinds := a.PutEmptySlice("tangle.fault.kinds")
			for _, k := range active {
				kinds.AppendEmpty().SetStr(k)
			}
		}
		if s.outcome == topology.Success {
			sp.Status().SetCode(ptrace.StatusCodeOk)
		} else {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(s.cause.String())
		}
	}
	return td
}

// activeFaults lists the kinds of the faults whose window overlapped the
// request's lifetime and that hit its replica (or, without one, any
// replica of its service or no replica at all), sorted.
func activeFaults(windows []faults.Window, s span, replica string, svc *topology.Service) []string {
	var out []string
	for _, w := range windows {
		if w.End <= s.arrived || w.Start > s.ended {
			continue
		}
		hit := len(w.Targets) == 0
		for _, t := range w.Targets {
			if t == replica || replica == "" && slices.ContainsFunc(svc.Replicas, func(r *topology.Replica) bool { return r.Name == t }) {
				hit = true
			}
		}
		if hit && !slices.Contains(out, w.Kind) {
			out = append(out, w.Kind)
		}
	}
	slices.Sort(out)
	return out
}
