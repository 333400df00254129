package scenarios

import "github.com/tangle-sim/tangle/sim"

// Hard limits on a scenario's size, whatever --allow-large says: beyond
// them validation itself (which compares names across lists) or building
// a world would exhaust the machine. The cost estimate (Cost) refuses the
// expensive below them.
const (
	MaxListItems   = 10_000  // services, clients, regions, strategies, faults, ...
	MaxReplicas    = 100_000 // replicas of one service
	MaxCallers     = 100_000 // callers of one client
	MaxRunDuration = sim.MaxDraw
)

// checkSizes records an error for every list longer than MaxListItems and
// every count above its limit. It reports false when validation should
// stop there (its cross-checks would take too long).
func (sc *Scenario) checkSizes(d *decoder) bool {
	ok := true
	for _, l := range []struct {
		path string
		n    int
	}{
		{"topology.regions", len(sc.Topology.Regions)}, {"topology.services", len(sc.Topology.Services)},
		{"topology.clients", len(sc.Topology.Clients)}, {"topology.network.links", len(sc.Topology.Network.Links)},
		{"strategies", len(sc.Strategies)}, {"faults", len(sc.Faults)}, {"checks", len(sc.Checks)}, {"slos", len(sc.SLOs)},
	} {
		if l.n > MaxListItems {
			d.errorPath(l.path, "split the scenario, or model many similar items as one with more replicas", "has %d items; a scenario may have at most %d", l.n, MaxListItems)
			ok = false
		}
	}
	for i, s := range sc.Topology.Services {
		if s.pool() > MaxReplicas {
			key := "replicas"
			if s.MaxReplicas > s.Replicas {
				key = "max_replicas"
			}
			d.errorPath(join(index("topology.services", i), key), "model a larger fleet as fewer, faster replicas (higher concurrency)", "must be at most %d, got %d", MaxReplicas, s.pool())
		}
	}
	for i, c := range sc.Topology.Clients {
		if c.Callers > MaxCallers {
			d.errorPath(join(index("topology.clients", i), "callers"), "callers that decide alike can be modelled as fewer callers with the same total rate", "must be at most %d, got %d", MaxCallers, c.Callers)
		}
	}
	if sc.Duration.T()+sc.Drain.T() > MaxRunDuration || sc.Duration.T()+sc.Drain.T() < 0 {
		d.errorPath("duration", "", "duration plus drain must be at most 100 years")
	}
	return ok
}
