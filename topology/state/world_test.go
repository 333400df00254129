package state

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// worldSpec is a world and its state model, for tests.
type worldSpec struct {
	Places   []topology.Place
	Network  topology.NetworkSpec
	Services []topology.ServiceSpec
	Clients  []topology.ClientSpec
	Bus      topology.BusSpec
	State    *Spec
}

// newWorld builds the world of spec with its state model attached.
func newWorld(spec worldSpec, routing topology.Routing, seed uint64) (*topology.World, error) {
	w, err := topology.New(topology.Spec{Places: spec.Places, Network: spec.Network, Services: spec.Services, Clients: spec.Clients, Bus: spec.Bus}, routing, seed)
	if err != nil || spec.State == nil {
		return w, err
	}
	if _, err := New(w, *spec.State); err != nil {
		return nil, err
	}
	return w, nil
}

// ended is a request that ended, with what the state model knew of it.
type ended struct {
	topology.Request
	Served Served
}

// record keeps every ended request (tests only: real collectors stream).
type record struct {
	s     *State
	ended []ended
}

func (r *record) RequestEnded(_ sim.Time, q *topology.Request) {
	e := ended{Request: *q}
	if r.s != nil {
		e.Served = r.s.ServedBy(q)
	}
	r.ended = append(r.ended, e)
}

func build(t *testing.T, spec worldSpec) (*topology.World, *record) {
	t.Helper()
	w, err := newWorld(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := &record{s: Of(w)}
	w.Observe(rec)
	return w, rec
}
