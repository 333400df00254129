package scenarios

import (
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/topology"
)

// CallStep is one step of what a service calls while it serves: one call
// (call and its settings) or several made in parallel (parallel).
type CallStep struct {
	Call        string     `yaml:"call" doc:"the service called, for a step of one call"`
	Timeout     Duration   `yaml:"timeout" default:"0s" doc:"how long the caller waits for the call, all its retries included; 0 means no limit"`
	Optional    bool       `yaml:"optional" default:"false" doc:"the call's failure degrades the response but does not fail the request"`
	Probability Ratio      `yaml:"probability" default:"1" doc:"the share of requests that make the call (0.3 or 30%)"`
	Parallel    []CallSpec `yaml:"parallel" doc:"calls made at once, for a step of several; the step ends when all have"`
}

// CallSpec is one call of a parallel step.
type CallSpec struct {
	Call        string   `yaml:"call,required" doc:"the service called"`
	Timeout     Duration `yaml:"timeout" default:"0s" doc:"how long the caller waits for the call, all its retries included; 0 means no limit"`
	Optional    bool     `yaml:"optional" default:"false" doc:"the call's failure degrades the response but does not fail the request"`
	Probability Ratio    `yaml:"probability" default:"1" doc:"the share of requests that make the call (0.3 or 30%)"`
}

// calls lists the step's calls, whichever way it was written.
func (s CallStep) calls() []CallSpec {
	if len(s.Parallel) > 0 {
		return s.Parallel
	}
	return []CallSpec{{Call: s.Call, Timeout: s.Timeout, Optional: s.Optional, Probability: s.Probability}}
}

// callDefaults makes every call of service s (at path p) certain unless a
// probability was written.
func callDefaults(d *decoder, p string, s *Service) {
	for k := range s.Calls {
		sp := index(join(p, "calls"), k)
		st := &s.Calls[k]
		if !d.has(join(sp, "probability")) {
			st.Probability = 1
		}
		for j := range st.Parallel {
			if !d.has(join(index(join(sp, "parallel"), j), "probability")) {
				st.Parallel[j].Probability = 1
			}
		}
	}
}

// validateCalls checks every service's calls: steps of one kind, known
// callees, sane settings, and no cycle.
func (sc *Scenario) validateCalls(d *decoder) {
	names := sc.serviceNames()
	any := false
	for i, s := range sc.Topology.Services {
		p := join(index("topology.services", i), "calls")
		for k, st := range s.Calls {
			sp := index(p, k)
			any = true
			switch {
			case st.Call != "" && len(st.Parallel) > 0:
				d.errorPath(join(sp, "parallel"), "write two steps to call one after the other", "a step is one call or a parallel group, not both")
				continue
			case st.Call == "" && len(st.Parallel) == 0:
				d.errorPath(sp, "", "a step needs call (one service) or parallel (a list of calls)")
				continue
			}
			for j, c := range st.calls() {
				cp := sp
				if len(st.Parallel) > 0 {
					cp = index(join(sp, "parallel"), j)
				}
				switch {
				case !slices.Contains(names, c.Call):
					d.errorPath(join(cp, "call"), didYouMean(c.Call, names), "unknown service %q; services are %s", c.Call, strings.Join(names, ", "))
				case c.Call == s.Name:
					d.errorPath(join(cp, "call"), "", "service %q calls itself", s.Name)
				}
				if c.Timeout < 0 {
					d.errorPath(join(cp, "timeout"), "", "must not be negative (0 means no limit)")
				}
				if !(c.Probability > 0 && c.Probability <= 1) {
					d.errorPath(join(cp, "probability"), "leave the call out to never make it", "must be a ratio in (0, 1] (or 0%% to 100%%), got %g", float64(c.Probability))
				}
			}
		}
	}
	if !any {
		return
	}
	if cyc := sc.callCycle(); cyc != nil {
		i := slices.Index(names, cyc[0])
		d.errorPath(join(index("topology.services", i), "calls"), "calls must form a DAG: break the cycle", "services call each other in a cycle: %s", strings.Join(cyc, " → "))
	}
	if sc.routed() {
		d.errorPath("strategies", "", "a routing controller does not yet steer the calls between services (topology.services[].calls): its routes cover the clients' sidecars only")
	}
}

// callCycle returns the names of services calling each other in a cycle
// (first repeated last), or nil.
func (sc *Scenario) callCycle() []string {
	names := sc.serviceNames()
	color := make([]uint8, len(names)) // 0 new, 1 on the path, 2 done
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		color[i] = 1
		path = append(path, names[i])
		for _, st := range sc.Topology.Services[i].Calls {
			for _, c := range st.calls() {
				j := slices.Index(names, c.Call)
				switch {
				case j < 0 || j == i:
					continue // reported on its own
				case color[j] == 1:
					k := slices.Index(path, names[j])
					return append(slices.Clone(path[k:]), names[j])
				case color[j] == 0:
					if cyc := visit(j); cyc != nil {
						return cyc
					}
				}
			}
		}
		path = path[:len(path)-1]
		color[i] = 2
		return nil
	}
	for i := range names {
		if color[i] == 0 {
			if cyc := visit(i); cyc != nil {
				return cyc
			}
		}
	}
	return nil
}

// topologyCalls turns a service's calls into the world's steps.
func (sc *Scenario) topologyCalls(s Service) []topology.Step {
	var steps []topology.Step
	names := sc.serviceNames()
	for _, st := range s.Calls {
		var step topology.Step
		for _, c := range st.calls() {
			step = append(step, topology.Call{
				Service: slices.Index(names, c.Call), Optional: c.Optional,
				Probability: float64(c.Probability), Timeout: c.Timeout.T(),
			})
		}
		steps = append(steps, step)
	}
	return steps
}
