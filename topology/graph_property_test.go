package topology

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
)

// drawGraph draws a random service graph (some services with operations,
// each with calls of its own): services call only services
// after them (a DAG), in steps of one to three calls, optional or not,
// some with a probability or a timeout; some services are non-blocking,
// some fail now and then, slots and queues are small.
func drawGraph(t *rapid.T) Spec {
	n := rapid.IntRange(2, 5).Draw(t, "services")
	spec := Spec{Places: []Place{{"local", "a"}}}
	if rapid.Bool().Draw(t, "latency") {
		spec.Network.SameZone = sim.Exponential{M: 0.002}
	}
	for i := 0; i < n; i++ {
		s := ServiceSpec{
			Name: fmt.Sprintf("s%d", i), Replicas: rapid.IntRange(1, 3).Draw(t, "replicas"),
			Concurrency:   rapid.IntRange(1, 4).Draw(t, "concurrency"),
			QueueCapacity: rapid.SampledFrom([]int{Unbounded, 0, 2}).Draw(t, "queue"),
			ServiceTime:   sim.Exponential{M: rapid.Float64Range(0.001, 0.05).Draw(t, "work")},
			ErrorRate:     rapid.SampledFrom([]float64{0, 0, 0.1, 0.5}).Draw(t, "errors"),
			NonBlocking:   rapid.Bool().Draw(t, "non-blocking"),
		}
		if i+1 < n {
			s.Calls = drawCalls(t, i, n)
		}
		if rapid.Bool().Draw(t, "operations") { // a few kinds of request, each with its calls
			for k := rapid.IntRange(1, 3).Draw(t, "kinds"); k > 0; k-- {
				o := Operation{Name: fmt.Sprintf("op%d", k), Weight: rapid.Float64Range(0.1, 3).Draw(t, "weight")}
				if rapid.Bool().Draw(t, "own-work") {
					o.ServiceTime = sim.Exponential{M: rapid.Float64Range(0.001, 0.05).Draw(t, "op-work")}
				}
				if i+1 < n {
					o.Calls = drawCalls(t, i, n)
				}
				s.Operations = append(s.Operations, o)
			}
			s.Calls = nil
		}
		spec.Services = append(spec.Services, s)
	}
	spec.Clients = []ClientSpec{{
		Name: "users", Service: 0, Callers: rapid.IntRange(1, 3).Draw(t, "callers"),
		Rate:    RateProfile{{0, rapid.Float64Range(10, 300).Draw(t, "rate")}},
		Timeout: sim.Time(rapid.IntRange(0, 500).Draw(t, "client-timeout")) * sim.Millisecond,
	}}
	return spec
}

// drawFaults schedules up to four crashes or pauses of random replicas of
// w, each starting before latest and lasting up to a second.
func drawFaults(t *rapid.T, w *World, latest sim.Time) {
	for k := rapid.IntRange(0, 4).Draw(t, "faults"); k > 0; k-- {
		rep := w.Replicas[rapid.IntRange(0, len(w.Replicas)-1).Draw(t, "target")]
		start := sim.Time(rapid.IntRange(0, int(latest/sim.Millisecond)).Draw(t, "start")) * sim.Millisecond
		length := sim.Time(rapid.IntRange(1, 1000).Draw(t, "length")) * sim.Millisecond
		crash := rapid.Bool().Draw(t, "crash")
		at(w, start, func() {
			undo := w.Pause(rep)
			if crash {
				undo = w.Crash(rep)
			}
			at(w, w.Eng.Now()+length, undo)
		})
	}
}

// drawCalls draws the calls of service i of n: steps of one to three
// calls to services after it.
func drawCalls(t *rapid.T, i, n int) []Step {
	var calls []Step
	for k := rapid.IntRange(0, 3).Draw(t, "steps"); k > 0; k-- {
		var step Step
		for m := rapid.IntRange(1, 3).Draw(t, "calls"); m > 0; m-- {
			c := Call{Service: rapid.IntRange(i+1, n-1).Draw(t, "callee"), Optional: rapid.Bool().Draw(t, "optional")}
			if rapid.Bool().Draw(t, "sometimes") {
				c.Probability = rapid.Float64Range(0.1, 1).Draw(t, "probability")
			}
			if rapid.Bool().Draw(t, "timed") {
				c.Timeout = sim.Time(rapid.IntRange(5, 200).Draw(t, "timeout")) * sim.Millisecond
			}
			step = append(step, c)
		}
		calls = append(calls, step)
	}
	return calls
}

// TestGraphConservation: whatever the graph, its retries, deadlines and
// the crashes and pauses of its replicas, every request and every call
// ends exactly once, no attempt is left waiting on its calls and no slot
// stays held (the naive oracle: counting).
func TestGraphConservation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := drawGraph(t)
		routing := Routing{Caller: roundRobin, Deadlines: rapid.Bool().Draw(t, "deadlines")}
		if rapid.Bool().Draw(t, "retries") {
			routing.Retry = RetryPolicy{Attempts: rapid.IntRange(2, 4).Draw(t, "attempts"), On: RetryErrors | RetryRejected | RetryReset | RetryTimeout,
				PerTryTimeout: sim.Time(rapid.IntRange(0, 100).Draw(t, "per-try")) * sim.Millisecond}
		}
		w, err := New(spec, routing, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		const horizon = 3 * sim.Second
		drawFaults(t, w, 2500*sim.Millisecond)
		rec := &record{}
		w.Observe(rec)
		w.Start(horizon)
		w.Eng.Run(horizon)
		w.Drain(sim.Time(rapid.IntRange(0, 2000).Draw(t, "drain")) * sim.Millisecond)
		if w.InFlight() != 0 {
			t.Fatalf("%d requests left in flight", w.InFlight())
		}
		if got, want := uint64(len(rec.ended)), w.Clients[0].Generated; got != want {
			t.Fatalf("%d client requests ended, %d generated", got, want)
		}
		for _, e := range w.CallEdges() {
			var ended uint64
			for _, n := range e.Ended {
				ended += n
			}
			if ended != e.Client.Generated {
				t.Fatalf("edge %s: %d calls ended, %d made", e.Client.Name, ended, e.Client.Generated)
			}
		}
		if g := w.graph; g != nil && g.frames.Live() != 0 {
			t.Fatalf("%d attempts still waiting on their calls", g.frames.Live())
		}
		for _, rep := range w.Replicas {
			if rep.held != 0 {
				t.Fatalf("%s holds %d slots after the run", rep.Name, rep.held)
			}
		}
	})
}
