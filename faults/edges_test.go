package faults

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/topologytest"
)

// An edge's instances are targets only of a selector that names them: by
// edge, by service name or by replica name; a selector matching every
// replica (or every replica of a region) leaves them alone.
func TestSelectorReachesEdgesOnlyByName(t *testing.T) {
	w, err := topology.New(topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "api", Replicas: 2, Concurrency: 1, QueueCapacity: topology.Unbounded, ServiceTime: sim.Constant{V: 0.01}}},
		Edges:    []topology.EdgeSpec{{Name: "gw", Target: 0, Replicas: 2, Concurrency: 4}},
		Clients:  []topology.ClientSpec{{Name: "users", Service: 1, Rate: topology.RateProfile{{Rate: 1}}, Callers: 1}},
	}, topology.Routing{Caller: topologytest.RoundRobin}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sel  Selector
		want []string
	}{
		{Selector{}, []string{"api-0", "api-1"}},
		{Selector{Region: "r"}, []string{"api-0", "api-1"}},
		{Selector{Edge: "gw"}, []string{"gw-0", "gw-1"}},
		{Selector{Edge: "gw", Mode: Count, Value: 1}, []string{"gw-0"}}, // drawn from the stream
		{Selector{Service: "gw"}, []string{"gw-0", "gw-1"}},
		{Selector{Names: []string{"gw-1", "api-0"}}, []string{"api-0", "gw-1"}},
		{Selector{Edge: "nope"}, nil},
	} {
		got := tc.sel.Resolve(w, Replicas, sim.NewStream(1, "test")).Names(w)
		if len(got) != len(tc.want) || len(got) > 0 && !equal(got, tc.want) {
			t.Errorf("%s: targets %v, want %v", tc.sel, got, tc.want)
		}
	}
	if s := (Selector{Edge: "gw"}).String(); s != "{edge: gw, mode: all}" {
		t.Errorf("String() = %q", s)
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
