package faults

import (
	"slices"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// Replicas of an autoscaler's pool that are not provisioned are not there
// to hit: "all", "percent" and "count" choose among the provisioned ones,
// and a later fault sees the count as it is then.
func TestTargetsSkipUnprovisioned(t *testing.T) {
	w := world(t)
	api := w.Services[0]
	for _, r := range api.Replicas[3:] {
		w.SetProvisioned(r, false)
	}
	all := Selector{Service: "api", Mode: All}.Resolve(w, Replicas, sim.NewStream(1, "t"))
	if got := names(w, all); !slices.Equal(got, []string{"api-0", "api-1", "api-2"}) {
		t.Fatalf("all of api: %v, want the three provisioned", got)
	}
	half := Selector{Service: "api", Mode: Percent, Value: 50}.Resolve(w, Replicas, sim.NewStream(1, "t"))
	if len(half.Replicas) != 1 {
		t.Fatalf("50%% of 3 provisioned replicas: %v, want 1", names(w, half))
	}
	named := Selector{Names: []string{"api-5"}, Mode: All}.Resolve(w, Replicas, sim.NewStream(1, "t"))
	if len(named.Replicas) != 0 {
		t.Fatalf("api-5 is not provisioned, yet targeted: %v", names(w, named))
	}
	w.SetProvisioned(api.Replicas[5], true)
	if got := names(w, Selector{Service: "api", Mode: All}.Resolve(w, Replicas, sim.NewStream(1, "t"))); len(got) != 4 {
		t.Fatalf("after provisioning api-5: %v, want 4 targets", got)
	}
}
