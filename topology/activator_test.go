package topology

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/sim"
)

// zeroAfter scales its service to zero in [from, until) (until 0: for
// ever) unless requests wait at the activator, and to one otherwise.
type zeroAfter struct {
	from, until sim.Time
	woken       int // decisions made with requests waiting
}

func (z *zeroAfter) Interval() sim.Time { return sim.Second }
func (z *zeroAfter) ScaleToZero() bool  { return true }
func (z *zeroAfter) Scale(v *ScaleView) int {
	switch {
	case v.Buffered > 0:
		z.woken++
		return 1
	case v.Now >= z.from && (z.until == 0 || v.Now < z.until):
		return 0
	}
	return 1
}

// burstsWorld is one service (a pool of 2, 1 ready; 10 ms per request)
// whose client sends 10/s until 10 s, nothing until 60 s, then 10/s until
// 80 s; a is its autoscaler, pods ready 5 s after creation.
func burstsWorld(t *testing.T, a Autoscaler, timeout sim.Time, seed uint64) *World {
	t.Helper()
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "fn", Replicas: 2, Concurrency: 10, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.01}}},
		Clients: []ClientSpec{{Name: "users", Service: 0, Arrival: Constant, Callers: 1, Timeout: timeout, Rate: RateProfile{
			{0, 10}, {10 * sim.Second, 10}, {10 * sim.Second, 0}, {60 * sim.Second, 0}, {60 * sim.Second, 10},
			{80 * sim.Second, 10}, {80 * sim.Second, 0}}}},
	}
	w, err := New(spec, Routing{Caller: roundRobin}, seed)
	require.NoError(t, err)
	require.NoError(t, w.Autoscale(w.Services[0], a, 1, ScaleConfig{ReadyAfter: 5 * sim.Second, TerminationGrace: sim.Second}))
	return w
}

// fnAtZero is a service at zero from the start (a pool of one, 1 ms of
// work, ample slots) whose client sends rate requests/s until until, each
// with timeout (0: none); its pod is ready after readyAfter.
func fnAtZero(t *testing.T, rate float64, until, timeout, readyAfter sim.Time) *World {
	t.Helper()
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "fn", Replicas: 1, Concurrency: 1000, QueueCapacity: Unbounded, ServiceTime: sim.Constant{V: 0.001}}},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Arrival: Constant, Callers: 1, Timeout: timeout, Rate: RateProfile{{0, rate}, {until, rate}, {until, 0}}}},
	}
	w, err := New(spec, Routing{Caller: roundRobin}, 1)
	require.NoError(t, err)
	require.NoError(t, w.Autoscale(w.Services[0], &zeroAfter{}, 0, ScaleConfig{ReadyAfter: readyAfter}))
	return w
}

// runEnds runs w to horizon with rec observing it, drains it and returns
// rec.
func runEnds(w *World, horizon sim.Time, rec *endsOnce) *endsOnce {
	w.Observe(rec)
	w.Start(horizon)
	w.Eng.Run(horizon)
	w.Drain(sim.Minute)
	return rec
}

// endsOnce counts each request's ends by outcome and keeps the longest
// latency of the requests that arrived in [from, to) and succeeded.
type endsOnce struct {
	ends     map[uint64]int
	outcomes [8]int
	from, to sim.Time
	maxLat   sim.Time
}

func (e *endsOnce) RequestEnded(_ sim.Time, r *Request) {
	e.ends[r.ID]++
	e.outcomes[r.Outcome]++
	if r.Arrived >= e.from && r.Arrived < e.to && r.Outcome == Success {
		e.maxLat = max(e.maxLat, r.Latency())
	}
}

// A service scaled to zero holds the requests that come while it has no
// pod at the activator; the first one pokes the autoscaler, a pod is
// ready 5 s later, and every held request is then served: the first
// waited about 5 s, none failed, each ended once.
func TestActivatorHoldsRequestsAtZero(t *testing.T) {
	z := &zeroAfter{from: 20 * sim.Second, until: 62 * sim.Second}
	w := burstsWorld(t, z, 0, 1)
	var atZero bool
	at(w, 59*sim.Second, func() { atZero = w.Services[0].Provisioned == 0 })
	rec := runEnds(w, 100*sim.Second, &endsOnce{ends: map[uint64]int{}, from: 60 * sim.Second, to: 61 * sim.Second})
	require.True(t, atZero, "the service is at zero before the second burst")
	assert.Equal(t, 0, w.InFlight())
	assert.Equal(t, int(w.Clients[0].Generated), rec.outcomes[Success], "every request served")
	for id, n := range rec.ends {
		require.Equal(t, 1, n, "request %d ended %d times", id, n)
	}
	a := w.Services[0].activator
	assert.InDelta(t, 50, float64(a.Held), 1, "requests held: 10/s for the 5 s the pod takes")
	assert.InDelta(t, 5, rec.maxLat.Seconds(), 0.05, "the first request waited for the pod")
	assert.Positive(t, z.woken, "the autoscaler saw the held requests")
	assert.Zero(t, len(a.queue)-a.head, "nothing left held")
}

// A request that gives up while it waits ends once, as a timeout, and is
// not sent when the pod comes.
func TestActivatorTimeoutsWhileHeld(t *testing.T) {
	w := burstsWorld(t, &zeroAfter{from: 20 * sim.Second, until: 62 * sim.Second}, 2*sim.Second, 1)
	rec := runEnds(w, 100*sim.Second, &endsOnce{ends: map[uint64]int{}})
	assert.Equal(t, 0, w.InFlight())
	for id, n := range rec.ends {
		require.Equal(t, 1, n, "request %d ended %d times", id, n)
	}
	// Requests from 60 s to 63 s wait past their 2 s before the pod is
	// ready at 65 s: 30 of them.
	assert.InDelta(t, 30, float64(rec.outcomes[Timeout]), 1)
	assert.Equal(t, int(w.Clients[0].Generated), rec.outcomes[Success]+rec.outcomes[Timeout])
	served := uint64(0)
	for _, r := range w.Services[0].Replicas {
		served += r.Served
	}
	// Timed-out requests are not sent when the pod comes, except one whose
	// timeout falls at the very instant it is ready (63 s + 2 s): it is
	// released first, and served for a caller that has gone.
	assert.GreaterOrEqual(t, served, uint64(rec.outcomes[Success]))
	assert.LessOrEqual(t, served, uint64(rec.outcomes[Success])+1, "timed-out requests were not sent")
}

// Beyond its capacity the activator refuses at once.
func TestActivatorCapacity(t *testing.T) {
	w := fnAtZero(t, 4000, 5*sim.Second, 0, 5*sim.Second)
	rec := runEnds(w, 10*sim.Second, &endsOnce{ends: map[uint64]int{}})
	a := w.Services[0].activator
	assert.Equal(t, uint64(ActivatorCapacity), a.Held, "held up to capacity")
	assert.Equal(t, int(a.Refuse), rec.outcomes[Rejected], "the rest refused")
	assert.Equal(t, int(w.Clients[0].Generated), rec.outcomes[Success]+rec.outcomes[Rejected])
	assert.Positive(t, a.Refuse)
}

// An autoscaler that does not scale to zero gets no activator: at zero a
// request fails for want of a host, as before.
func TestNoActivatorWithoutZeroScaler(t *testing.T) {
	w := burstsWorld(t, plainZero{&zeroAfter{from: 20 * sim.Second, until: 62 * sim.Second}}, 0, 1)
	rec := runEnds(w, 100*sim.Second, &endsOnce{ends: map[uint64]int{}})
	assert.Nil(t, w.Services[0].activator)
	assert.Positive(t, rec.outcomes[Dropped], "requests at zero find no host")
}

// plainZero hides ScaleToZero.
type plainZero struct{ z *zeroAfter }

func (p plainZero) Interval() sim.Time     { return p.z.Interval() }
func (p plainZero) Scale(v *ScaleView) int { return p.z.Scale(v) }

// Requests that gave up while they waited take no room: a service that
// stays at zero for a long time (its pod takes 100 s) keeps taking
// requests whose 1 s timeouts free their places, and refuses none.
func TestActivatorForgetsRequestsThatGaveUp(t *testing.T) {
	w := fnAtZero(t, 2000, 20*sim.Second, sim.Second, 100*sim.Second)
	rec := runEnds(w, 30*sim.Second, &endsOnce{ends: map[uint64]int{}})
	a := w.Services[0].activator
	assert.Zero(t, a.Refuse, "none refused: at most 2,000 wait at once")
	assert.Equal(t, int(w.Clients[0].Generated), rec.outcomes[Timeout])
	assert.LessOrEqual(t, cap(a.queue), 2*ActivatorCapacity, "the queue does not grow with the dead")
}
