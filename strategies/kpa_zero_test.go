package strategies

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// zeroTrace is a KPA that records when it asked for 0 pods and when it
// scaled up from 0.
type zeroTrace struct {
	*KPA
	toZero, fromZero sim.Time
}

func (z *zeroTrace) Scale(v *topology.ScaleView) int {
	n := z.KPA.Scale(v)
	if n == 0 && v.Current > 0 && z.toZero == 0 {
		z.toZero = v.Now
	}
	if n > 0 && v.Current == 0 && z.fromZero == 0 {
		z.fromZero = v.Now
	}
	return n
}

// idleWorld is a pool of 4 (1 ready, 100 ms per request) whose client
// sends 10/s until 100 s, nothing until 400 s, then 10/s until 450 s.
func idleWorld(t *testing.T, a topology.Autoscaler) *topology.World {
	t.Helper()
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "local", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "fn", Replicas: 4, Concurrency: 10, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.1}}},
		Clients: []topology.ClientSpec{{Name: "users", Service: 0, Arrival: topology.Constant, Callers: 1, Rate: topology.RateProfile{
			{At: 0, Rate: 10}, {At: 100 * sim.Second, Rate: 10}, {At: 100 * sim.Second, Rate: 0},
			{At: 400 * sim.Second, Rate: 0}, {At: 400 * sim.Second, Rate: 10}, {At: 450 * sim.Second, Rate: 10}, {At: 450 * sim.Second, Rate: 0}}}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	require.NoError(t, err)
	require.NoError(t, w.Autoscale(w.Services[0], a, 1, topology.ScaleConfig{ReadyAfter: 5 * sim.Second, TerminationGrace: 30 * sim.Second}))
	return w
}

// kpaWith builds a KPA from parameters.
func kpaWith(t *testing.T, set sim.Params) *KPA {
	t.Helper()
	def, _ := LookupAutoscaler("kpa")
	p, err := def.Params.Complete(set)
	require.NoError(t, err)
	b, err := def.Build(p)
	require.NoError(t, err)
	return b().(*KPA)
}

// With Knative's defaults an idle revision scales to zero a stable window
// (60 s) plus the scale-to-zero grace period (30 s) after its last
// request (Knative's docs: "the total termination period is equal to the
// sum of both", 90 s), to within the 2 s tick twice over (the stable
// average drains at a tick, the grace period ends at one); the first
// request after that waits at the activator, which pokes the decider at
// once, and is served when the new pod is ready 5 s later.
func TestKPAScalesToZeroAndBack(t *testing.T) {
	z := &zeroTrace{KPA: kpaWith(t, sim.Params{})}
	w := idleWorld(t, z)
	first := &firstAfter{at: 400 * sim.Second}
	w.Observe(first)
	w.Start(500 * sim.Second)
	w.Eng.Run(500 * sim.Second)
	w.Drain(sim.Minute)
	assert.GreaterOrEqual(t, z.toZero, 190*sim.Second, "scaled to zero at %v", z.toZero)
	assert.LessOrEqual(t, z.toZero, 194*sim.Second, "scaled to zero at %v", z.toZero)
	assert.Equal(t, first.arrived, z.fromZero, "the first request pokes the decider at once")
	assert.InDelta(t, 5.1, first.lat.Seconds(), 0.01, "the first request waits for the pod, then is served")
	assert.Equal(t, 0, w.InFlight())
}

// Without scale to zero (or with min_replicas 1) the revision keeps a pod.
func TestKPAWithoutScaleToZeroKeepsOnePod(t *testing.T) {
	for _, set := range []sim.Params{{"enable_scale_to_zero": false}, {"min_replicas": int64(1)}} {
		z := &zeroTrace{KPA: kpaWith(t, set)}
		w := idleWorld(t, z)
		w.Start(500 * sim.Second)
		w.Eng.Run(500 * sim.Second)
		w.Drain(sim.Minute)
		assert.Zero(t, z.toZero, "%v: never to zero", set)
		assert.Equal(t, 1, w.Services[0].Provisioned, "%v", set)
	}
}

// firstAfter keeps the arrival and latency of the first request that
// arrived at or after at.
type firstAfter struct {
	at, arrived, lat sim.Time
}

func (f *firstAfter) RequestEnded(_ sim.Time, r *topology.Request) {
	if r.Arrived >= f.at && (f.arrived == 0 || r.Arrived < f.arrived) {
		f.arrived, f.lat = r.Arrived, r.Latency()
	}
}
