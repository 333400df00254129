package topology

import (
	"math"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// shop is a service with two operations over two leaves: browse (weight
// 3, Exp(0.1 s) of its own, calls catalog) and buy (weight 1, Exp(0.5 s),
// calls catalog then payments). Clients name no operation unless op says.
func shop(op string) Spec {
	front := station("front", 100000, sim.Exponential{M: 1})
	front.Operations = []Operation{
		{Name: "browse", Weight: 3, ServiceTime: sim.Exponential{M: 0.1}, Calls: []Step{{{Service: 1}}}},
		{Name: "buy", Weight: 1, ServiceTime: sim.Exponential{M: 0.5}, Calls: []Step{{{Service: 1}}, {{Service: 2}}}},
	}
	return Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{front, station("catalog", 100000, sim.Constant{V: 0}), station("payments", 100000, sim.Constant{V: 0})},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Rate: RateProfile{{0, 100}}, Callers: 1, Operation: op}},
	}
}

// served is the number of requests service i's replicas served.
func served(w *World, i int) uint64 {
	var n uint64
	for _, r := range w.Services[i].Replicas {
		n += r.Served
	}
	return n
}

// Requests that name no operation are split by weight: a quarter buy, so
// payments sees a quarter of the requests (binomial: over 4 standard
// deviations of slack), catalog every one, and the mean end-to-end time is
// the mixture of the operations' own work, 0.75·0.1 + 0.25·0.5 = 0.2 s
// (ample capacity: no queueing; 200 000 requests, the standard error of
// the mean is 0.07%, 2% is far outside it).
func TestOperationsSplitByWeight(t *testing.T) {
	w, err := New(shop(""), Routing{Caller: roundRobin}, 3)
	must(t, err)
	tl := run(t, w, 0, 2000*sim.Second)
	n := float64(w.Clients[0].Generated)
	same(t, w.Clients[0].Generated, served(w, 1), "catalog calls: one per request")
	buys := float64(served(w, 2))
	sd := math.Sqrt(n * 0.25 * 0.75)
	if math.Abs(buys-n/4) > 4*sd {
		t.Fatalf("payments calls: %v of %v requests, want a quarter within %.0f", buys, n, 4*sd)
	}
	near(t, 0.2, tl.sojourn/float64(tl.measured), 0.02, "mean end-to-end time (s), the operations' mixture")
	conserved(t, w)
}

// A client that names an operation asks for it every time: every request
// buys, so payments serves one call per request and the mean time is
// buy's 0.5 s.
func TestClientNamesAnOperation(t *testing.T) {
	w, err := New(shop("buy"), Routing{Caller: roundRobin}, 3)
	must(t, err)
	tl := run(t, w, 0, 500*sim.Second)
	same(t, w.Clients[0].Generated, served(w, 2), "payments calls: every request buys")
	near(t, 0.5, tl.sojourn/float64(tl.measured), 0.03, "mean end-to-end time (s) of buy")
}

// A call may name the callee's operation: a gateway calling front's
// browse never reaches payments.
func TestCallNamesAnOperation(t *testing.T) {
	spec := shop("")
	gw := station("gateway", 100000, sim.Constant{V: 0})
	gw.Calls = []Step{{{Service: 1, Operation: "browse"}}}
	// The gateway becomes service 0; the others move up one.
	for i := range spec.Services {
		for k := range spec.Services[i].Operations {
			for s := range spec.Services[i].Operations[k].Calls {
				for c := range spec.Services[i].Operations[k].Calls[s] {
					spec.Services[i].Operations[k].Calls[s][c].Service++
				}
			}
		}
	}
	spec.Services = append([]ServiceSpec{gw}, spec.Services...)
	w, err := New(spec, Routing{Caller: roundRobin}, 3)
	must(t, err)
	run(t, w, 0, 200*sim.Second)
	same(t, w.Clients[0].Generated, served(w, 1), "front calls")
	same(t, uint64(0), served(w, 3), "payments calls (browse only)")
	conserved(t, w)
}

// Through a declared edge, the client's operation is the edge's target's,
// and the edge passes it on; a client naming none has the edge draw one.
func TestEdgePassesTheOperationOn(t *testing.T) {
	for _, tc := range []struct {
		op      string
		allBuys bool
	}{{"buy", true}, {"", false}} {
		spec := shop(tc.op)
		spec.Edges = []EdgeSpec{{Name: "gw", Target: 0, Replicas: 1, Concurrency: 100000, QueueCapacity: Unbounded}}
		spec.Clients[0].Service = len(spec.Services) // the edge
		w, err := New(spec, Routing{Caller: roundRobin}, 3)
		must(t, err)
		run(t, w, 0, 200*sim.Second)
		n, buys := w.Clients[0].Generated, served(w, 2)
		if tc.allBuys {
			same(t, n, buys, "payments calls when every request buys")
		} else if buys == 0 || buys == n {
			t.Fatalf("operation drawn at the edge: %d buys of %d requests, want a mix", buys, n)
		}
		conserved(t, w)
	}
}

// Retries ask for the request's operation again. Payments always fails
// and both layers make 3 attempts on errors: a buy request makes 3 front
// attempts, each 3 payments calls (9 per buy); a browse request succeeds
// at once. Were an operation drawn again per attempt, some retries of a
// buy would browse and these counts would not add up.
func TestRetriesKeepTheOperation(t *testing.T) {
	spec := shop("")
	spec.Services[2].ErrorRate = 1
	w, err := New(spec, Routing{Caller: roundRobin, Retry: RetryPolicy{Attempts: 3, On: RetryErrors}}, 3)
	must(t, err)
	run(t, w, 0, 200*sim.Second)
	gen, front, pay := w.Clients[0].Generated, w.Clients[0].Attempts, served(w, 2)
	if pay == 0 || pay%9 != 0 || front != gen+2*pay/9 {
		t.Fatalf("requests %d, front attempts %d, payments calls %d: want payments = 9·buys and attempts = requests + 2·buys", gen, front, pay)
	}
	same(t, front, served(w, 1), "catalog calls: one per front attempt")
}

func TestOperationErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"unknown client operation", func(s *Spec) { s.Clients[0].Operation = "sell" }, `client users: service front has no operation "sell" (it has [browse buy])`},
		{"operation at a service without", func(s *Spec) { s.Clients[0].Service = 1; s.Clients[0].Operation = "buy" }, `client users: service catalog has no operations, so none can be named ("buy")`},
		{"unknown call operation", func(s *Spec) { s.Services[0].Operations[0].Calls[0][0].Operation = "get" }, `service front operation browse: service catalog has no operations`},
		{"calls beside operations", func(s *Spec) { s.Services[0].Calls = []Step{{{Service: 1}}} }, "with operations, calls belong to each operation"},
		{"twice", func(s *Spec) { s.Services[0].Operations[1].Name = "browse" }, `operation "browse" is declared twice`},
		{"no name", func(s *Spec) { s.Services[0].Operations[1].Name = "" }, "an operation has no name"},
		{"negative weight", func(s *Spec) { s.Services[0].Operations[1].Weight = -1 }, "weight must be finite and ≥ 0, got -1"},
		{"NaN weight", func(s *Spec) { s.Services[0].Operations[1].Weight = math.NaN() }, "weight must be finite and ≥ 0, got NaN"},
		{"zero weights", func(s *Spec) {
			s.Services[0].Operations[0].Weight = 0
			s.Services[0].Operations[1].Weight = 0
		}, "weights must add up to a finite number > 0, got 0"},
		{"cycle through an operation", func(s *Spec) {
			s.Services[2].Calls = []Step{{{Service: 0}}}
		}, "services call each other in a cycle: front → payments → front"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := shop("")
			tc.edit(&spec)
			_, err := New(spec, Routing{Caller: roundRobin}, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A world whose services have no operations asks for none: requests carry
// NoOp and draw nothing more (the pinned built-ins check the bytes).
func TestNoOperationsNoOp(t *testing.T) {
	w, err := New(mm1(0.5), Routing{Caller: roundRobin}, 7)
	must(t, err)
	seen := opSeen{}
	w.Observe(&seen)
	w.Start(100 * sim.Second)
	w.Eng.Run(100 * sim.Second)
	if seen.other != 0 || seen.none == 0 {
		t.Fatalf("requests with an operation: %d, without: %d", seen.other, seen.none)
	}
}

type opSeen struct{ none, other int }

func (o *opSeen) RequestEnded(_ sim.Time, r *Request) {
	if r.Op == NoOp {
		o.none++
	} else {
		o.other++
	}
}
