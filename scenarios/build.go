package scenarios

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// Spec returns the world description of the scenario's topology.
func (sc *Scenario) Spec() (topology.Spec, error) {
	spec, _, _, err := sc.specs()
	return spec, err
}

// specs returns the world description of the scenario's topology, of its
// state model and of its datastore (nil without them).
func (sc *Scenario) specs() (topology.Spec, *state.Spec, *data.Spec, error) {
	t := sc.Topology
	spec := topology.Spec{
		Places: slices.Clone(sc.places),
		Network: topology.NetworkSpec{
			SameZone:    distOrNil(t.Network.SameZone),
			SameRegion:  distOrNil(t.Network.SameRegion),
			CrossRegion: distOrNil(t.Network.CrossRegion),
		},
		Bus: topology.BusSpec{Interval: t.Telemetry.Interval.T(), Delay: t.Telemetry.Delay.T(), Regions: sc.regionSignals()},
	}
	for _, l := range t.Network.Links {
		as, err := sc.placesOf(l.Between[0])
		if err != nil {
			return spec, nil, nil, err
		}
		bs, err := sc.placesOf(l.Between[1])
		if err != nil {
			return spec, nil, nil, err
		}
		for _, a := range as {
			for _, b := range bs {
				spec.Network.Links = append(spec.Network.Links, topology.LinkSpec{A: a, B: b, Latency: distOrNil(l.Latency)})
			}
		}
	}
	for _, s := range t.Services {
		ss := topology.ServiceSpec{
			Name: s.Name, Replicas: s.pool(), Provisioned: s.provisioned(), Concurrency: s.Concurrency, QueueCapacity: int(s.Queue),
			ServiceTime: s.ServiceTime.Dist, ErrorRate: float64(s.ErrorRate),
			Calls: sc.topologyCalls(s.Calls), NonBlocking: s.NonBlocking, Operations: sc.topologyOperations(s),
		}
		for _, z := range s.Zones {
			ids, err := sc.placesOf(z)
			if err != nil {
				return spec, nil, nil, err
			}
			ss.Places = append(ss.Places, ids...)
		}
		spec.Services = append(spec.Services, ss)
	}
	for _, c := range t.Clients {
		cs := topology.ClientSpec{
			Name: c.Name, Service: slices.Index(sc.serviceNames(), c.Target), Rate: c.profile(),
			Timeout: c.Timeout.T(), Callers: c.Callers, Edge: c.Edge.Gateway(), Residency: slices.Clone(c.Residency),
			Operation: c.Operation,
		}
		if c.Arrival == "constant" {
			cs.Arrival = topology.Constant
		}
		if c.Zone != "" {
			ids, err := sc.placesOf(c.Zone)
			if err != nil {
				return spec, nil, nil, err
			}
			cs.Place = ids[0]
		}
		spec.Clients = append(spec.Clients, cs)
	}
	var ss *state.Spec
	var ds *data.Spec
	if sc.State != nil { // the state model; data replicas and control-plane members are services of their own, last
		db := -1
		if ss, ok := sc.datastoreService(); ok {
			db = len(spec.Services)
			spec.Services = append(spec.Services, ss)
		}
		cp := -1
		if ss, ok := sc.controlPlaneService(); ok {
			cp = len(spec.Services)
			spec.Services = append(spec.Services, ss)
		}
		ss = sc.stateSpec(cp)
		if db >= 0 {
			ds = sc.dataSpec(db)
			for i := range ss.Keys {
				if ss.Keys[i].Kind == state.Schema {
					ss.Keys[i].Service = db
				}
			}
		}
	}
	if err := sc.enterEdges(&spec); err != nil {
		return spec, nil, nil, err
	}
	if sc.routed() { // the routing control plane lives in the state model
		if ss == nil {
			ss = &state.Spec{Control: state.ControlPlaneSpec{Service: -1}}
		}
		ss.Routes = true
	}
	return spec, ss, ds, nil
}

func distOrNil(d *Dist) sim.Dist {
	if d == nil {
		return nil
	}
	return d.Dist
}

// profile compiles the client's base rate and schedule into a
// piecewise-linear rate profile.
func (c *Client) profile() topology.RateProfile {
	cur := float64(c.Rate)
	p := topology.RateProfile{{At: 0, Rate: cur}}
	for _, st := range c.Schedule {
		at, r := st.At.T(), float64(st.Rate)
		switch {
		case st.Duration > 0: // spike, then back to the rate before it
			end := at + st.Duration.T()
			p = append(p, topology.RatePoint{At: at, Rate: cur}, topology.RatePoint{At: at, Rate: r},
				topology.RatePoint{At: end, Rate: r}, topology.RatePoint{At: end, Rate: cur})
		case st.Ramp > 0:
			p = append(p, topology.RatePoint{At: at, Rate: cur}, topology.RatePoint{At: at + st.Ramp.T(), Rate: r})
			cur = r
		default: // step
			p = append(p, topology.RatePoint{At: at, Rate: cur}, topology.RatePoint{At: at, Rate: r})
			cur = r
		}
	}
	return p
}

// RoutingDefaults returns a routing strategy's parameter defaults as
// scenario files write them (nil for an unknown routing), so a display can
// show only what a strategy changed.
func RoutingDefaults(routing string) map[string]string {
	def, ok := strategies.LookupRouting(routing)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, p := range def.Params {
		out[p.Name] = p.DefaultString()
	}
	return out
}

// Routing returns the topology routing of strategy i.
func (sc *Scenario) Routing(i int) (topology.Routing, error) {
	s := &sc.Strategies[i]
	def, ok := strategies.LookupRouting(s.Routing)
	if !ok {
		return topology.Routing{}, fmt.Errorf("strategy %s: unknown routing %q", s.Name, s.Routing)
	}
	caller, err := def.Build(s.params)
	if err != nil {
		return topology.Routing{}, fmt.Errorf("strategy %s: %w", s.Name, err)
	}
	r := topology.Routing{Caller: caller, Load: s.load, PanicThreshold: 0.5, Retry: s.retry, Guards: s.guards, Deadlines: s.Deadlines}
	if s.PanicThreshold != nil {
		r.PanicThreshold = float64(*s.PanicThreshold)
	}
	if s.hedge != nil {
		r.Hedge = *s.hedge
	}
	if err := perServiceRouting(s, &r); err != nil {
		return topology.Routing{}, err
	}
	edgeName, edgeParams := "round-robin", sim.Params{}
	if s.routes() {
		edgeName = "weighted-round-robin" // honours the controllers' weights
	}
	if s.Edge != nil {
		edgeName, edgeParams = s.Edge.Routing, s.edgeParams
	}
	edef, ok := strategies.LookupRouting(edgeName)
	if !ok {
		return topology.Routing{}, fmt.Errorf("strategy %s: unknown edge routing %q", s.Name, edgeName)
	}
	if edgeParams, err = edef.Params.Complete(edgeParams); err != nil {
		return topology.Routing{}, fmt.Errorf("strategy %s: edge: %w", s.Name, err)
	}
	if r.Edge, err = edef.Build(edgeParams); err != nil {
		return topology.Routing{}, fmt.Errorf("strategy %s: edge: %w", s.Name, err)
	}
	return r, nil
}

// seriesInterval is the scenario's bucket width, or the automatic one.
func (sc *Scenario) seriesInterval() sim.Time {
	if sc.SeriesInterval > 0 {
		return sc.SeriesInterval.T()
	}
	return metrics.DefaultSeriesInterval(sc.Duration.T())
}

// Built is one world built from the scenario, ready to Start: the world, its
// recorder and its fault timeline.
type Built struct {
	World     *topology.World
	Recorder  *metrics.Recorder
	Faults    *faults.Timeline
	Phases    *metrics.PhaseRecorder    // when the scenario has faults
	SLOs      *metrics.SLOTracker       // when the scenario has slos
	Recovery  *metrics.RecoveryRecorder // when the scenario has faults
	faultless bool                      // no faults: non_recovery is 0
}

// Build makes the world for strategy i with the given seed, with a
// recorder attached and the fault schedule installed, ready to Start.
func (sc *Scenario) Build(i int, seed uint64) (*Built, error) {
	spec, ss, ds, err := sc.specs()
	if err != nil {
		return nil, err
	}
	routing, err := sc.Routing(i)
	if err != nil {
		return nil, err
	}
	w, err := topology.New(spec, routing, seed)
	if err != nil {
		return nil, err
	}
	if err := sc.autoscale(i, w); err != nil {
		return nil, err
	}
	if ss != nil {
		if _, err := state.New(w, *ss); err != nil {
			return nil, err
		}
	}
	if ss != nil && ss.Routes {
		if _, err := routectl.New(w); err != nil {
			return nil, err
		}
	}
	if ds != nil {
		if _, err := data.New(w, *ds); err != nil {
			return nil, err
		}
	}
	mcfg := metrics.Config{Warmup: sc.Warmup.T(), Horizon: sc.Duration.T(), SeriesInterval: sc.seriesInterval()}
	rec, err := metrics.NewRecorder(w, mcfg)
	if err != nil {
		return nil, err
	}
	metrics.RecordReplicas(rec, sc.pooled(w))
	if err := sc.attachState(i, w, rec, mcfg); err != nil {
		return nil, err
	}
	tl, err := sc.Schedule().Install(w)
	if err != nil {
		return nil, err
	}
	b := &Built{World: w, Recorder: rec, Faults: tl}
	if err := sc.instrument(b); err != nil {
		return nil, err
	}
	return b, nil
}
