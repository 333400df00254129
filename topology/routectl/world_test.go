package routectl

import (
	"testing"

	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// worldSpec is a world and its state model, for tests.
type worldSpec struct {
	Places   []topology.Place
	Network  topology.NetworkSpec
	Services []topology.ServiceSpec
	Clients  []topology.ClientSpec
	Bus      topology.BusSpec
	State    *state.Spec
}

// newWorld builds the world of spec with its state model and, with route
// keys, its routing control plane attached.
func newWorld(spec worldSpec, routing topology.Routing, seed uint64) (*topology.World, error) {
	w, err := topology.New(topology.Spec{Places: spec.Places, Network: spec.Network, Services: spec.Services, Clients: spec.Clients, Bus: spec.Bus}, routing, seed)
	if err != nil {
		return nil, err
	}
	if _, err := state.New(w, *spec.State); err != nil {
		return nil, err
	}
	if spec.State.Routes {
		if _, err := New(w); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func build(t *testing.T, spec worldSpec) (*topology.World, struct{}) {
	t.Helper()
	w, err := newWorld(spec, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return w, struct{}{}
}
