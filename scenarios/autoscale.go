package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// AutoscalingUse puts one service with max_replicas under an autoscaler
// in one strategy.
type AutoscalingUse struct {
	Service    string    `yaml:"service,required" doc:"a service with max_replicas"`
	Autoscaler string    `yaml:"autoscaler,required" doc:"hpa (Kubernetes HorizontalPodAutoscaler), kpa (Knative Pod Autoscaler) or fixed (a fixed count: over-provisioning); see tangle list strategies"`
	Params     RawParams `yaml:"params" doc:"the autoscaler's parameters"`

	params sim.Params
}

// ParamValues returns the autoscaler's complete, checked parameters.
func (a *AutoscalingUse) ParamValues() sim.Params { return a.params }

// pool is the number of replicas the world builds for s.
func (s Service) pool() int { return max(s.Replicas, s.MaxReplicas) }

// provisioned is the number of replicas ready at the start, for
// topology.ServiceSpec.Provisioned (0: all).
func (s Service) provisioned() int {
	if s.MaxReplicas > s.Replicas {
		return s.Replicas
	}
	return 0
}

// poolDefaults fills service s's (at p) autoscaling keys left out.
func poolDefaults(d *decoder, p string, s *Service) {
	if !d.has(join(p, "ready_after")) {
		s.ReadyAfter = Duration(10 * sim.Second)
	}
	if !d.has(join(p, "cold_start_factor")) {
		s.ColdStartFactor = 10
	}
	if !d.has(join(p, "cold_start_tau")) {
		s.ColdStartTau = Duration(30 * sim.Second)
	}
	if !d.has(join(p, "termination_grace")) {
		s.TerminationGrace = Duration(30 * sim.Second)
	}
}

// pooledKeys are the service keys that only mean something with a pool.
var pooledKeys = []string{"ready_after", "cold_start_factor", "cold_start_tau", "termination_grace"}

// validatePools checks the services' autoscaling keys.
func (sc *Scenario) validatePools(d *decoder) {
	any := false
	for i, s := range sc.Topology.Services {
		p := index("topology.services", i)
		if s.MaxReplicas == 0 {
			for _, k := range pooledKeys {
				if d.has(join(p, k)) {
					d.errorPath(join(p, k), "give the service max_replicas (its pool) to autoscale it", "%s applies to autoscaled pods, and this service has no max_replicas", k)
				}
			}
			continue
		}
		any = true
		switch {
		case s.MaxReplicas < s.Replicas:
			d.errorPath(join(p, "max_replicas"), fmt.Sprintf("max_replicas: %d or more", s.Replicas), "must be at least replicas (%d, the count ready at the start), got %d", s.Replicas, s.MaxReplicas)
		case s.ReadyAfter < 0:
			d.errorPath(join(p, "ready_after"), "", "must not be negative")
		case s.TerminationGrace < 0:
			d.errorPath(join(p, "termination_grace"), "", "must not be negative")
		case !(s.ColdStartFactor >= 0):
			d.errorPath(join(p, "cold_start_factor"), "0 starts new pods warm", "must not be negative, got %g", s.ColdStartFactor)
		case s.ColdStartTau <= 0:
			d.errorPath(join(p, "cold_start_tau"), "", "must be positive, got %v", s.ColdStartTau)
		}
		if s.MaxReplicas < 0 {
			d.errorPath(join(p, "max_replicas"), "", "must not be negative")
		}
	}
	if !any {
		return
	}
	if sc.State != nil {
		d.errorPath("state", "leave max_replicas out, or the state section", "the state model does not yet follow autoscaled pools (topology.services[].max_replicas): it tracks a fixed set of replicas")
	}
	if sc.routed() {
		d.errorPath("strategies", "leave max_replicas out, or the controller", "a routing controller does not yet follow autoscaled pools (topology.services[].max_replicas): it weights a fixed set of replicas")
	}
}

// validateAutoscaling checks strategy s's autoscaling entries (at p).
func (sc *Scenario) validateAutoscaling(d *decoder, p string, s *Strategy) {
	var pooled []string
	for _, svc := range sc.Topology.Services {
		if svc.MaxReplicas > 0 {
			pooled = append(pooled, svc.Name)
		}
	}
	if len(pooled) > 0 {
		sc.checkPoolRouting(d, p, s)
	}
	seen := map[string]bool{}
	for i := range s.Autoscaling {
		a := &s.Autoscaling[i]
		ap := index(join(p, "autoscaling"), i)
		si := slices.IndexFunc(sc.Topology.Services, func(x Service) bool { return x.Name == a.Service })
		switch {
		case si < 0:
			d.errorPath(join(ap, "service"), didYouMean(a.Service, sc.serviceNames()), "unknown service %q; services are %s", a.Service, strings.Join(sc.serviceNames(), ", "))
		case sc.Topology.Services[si].MaxReplicas == 0:
			d.errorPath(join(ap, "service"), fmt.Sprintf("give service %s max_replicas: the pool it scales in", a.Service), "service %q has no max_replicas, so it cannot be autoscaled", a.Service)
		case seen[a.Service]:
			d.errorPath(join(ap, "service"), "", "service %q is autoscaled twice in this strategy", a.Service)
		}
		seen[a.Service] = true
		def, ok := strategies.LookupAutoscaler(a.Autoscaler)
		if !ok {
			d.errorPath(join(ap, "autoscaler"), didYouMean(a.Autoscaler, strategies.AutoscalerNames()), "unknown autoscaler %q; autoscalers are %s", a.Autoscaler, strings.Join(strategies.AutoscalerNames(), ", "))
			continue
		}
		params, ok := readParams(d, join(ap, "params"), "autoscaler "+a.Autoscaler, def.Params, a.Params)
		if !ok {
			continue
		}
		build, err := def.Build(params)
		if err != nil {
			d.errorPath(join(ap, "params"), "", "%v", err)
			continue
		}
		a.params = params
		if z, ok := build().(topology.ZeroScaler); ok && z.ScaleToZero() && sc.hedges(d, p, s) {
			d.errorPath(join(ap, "params"), "set enable_scale_to_zero: false or min_replicas: 1, or leave hedging out", "a service scaled to zero holds requests at the activator, which hedged requests do not go through (not modelled)")
		}
		if si < 0 {
			continue
		}
		svc := sc.Topology.Services[si]
		for _, k := range []string{"max_replicas", "replicas"} {
			if pd, has := def.Params.Lookup(k); has && pd.Kind == sim.Int && int(params.Int(k)) > svc.pool() {
				d.errorPath(join(join(ap, "params"), k), fmt.Sprintf("%s: %d or less, or raise the service's max_replicas", k, svc.pool()), "%d is more than service %s's pool (max_replicas %d)", params.Int(k), svc.Name, svc.pool())
			}
		}
		if pd, has := def.Params.Lookup("min_replicas"); has && pd.Kind == sim.Int && int(params.Int("min_replicas")) > svc.pool() {
			d.errorPath(join(join(ap, "params"), "min_replicas"), "", "%d is more than service %s's pool (max_replicas %d)", params.Int("min_replicas"), svc.Name, svc.pool())
		}
	}
}

// hedges reports whether strategy s (at p) hedges any requests.
func (sc *Scenario) hedges(d *decoder, p string, s *Strategy) bool {
	if d.has(join(p, "hedging")) {
		return true
	}
	for i := range s.PerService {
		if d.has(join(index(join(p, "per_service"), i), "hedging")) {
			return true
		}
	}
	return false
}

// checkPoolRouting refuses pickers that apply the panic threshold over
// all hosts themselves (priority levels, hash rings): they would count,
// and in panic route to, the pool's replicas that do not exist yet.
func (sc *Scenario) checkPoolRouting(d *decoder, p string, s *Strategy) {
	owns := func(name string, params sim.Params) bool {
		def, ok := strategies.LookupRouting(name)
		if !ok || params == nil {
			return false
		}
		np, err := def.Build(params)
		if err != nil {
			return false
		}
		_, own := np(rand.New(rand.NewPCG(1, 2))).(topology.PanicHandler)
		return own
	}
	if owns(s.Routing, s.params) {
		d.errorPath(join(p, "routing"), "use a picker such as round-robin or least-request with autoscaled services", "routing %s applies the panic threshold over every host itself, which would count the pool's replicas not provisioned (topology.services[].max_replicas)", s.Routing)
	}
	for i, o := range s.PerService {
		if o.Routing != "" && owns(o.Routing, o.params) {
			d.errorPath(join(index(join(p, "per_service"), i), "routing"), "use a picker such as round-robin or least-request with autoscaled services", "routing %s applies the panic threshold over every host itself, which would count the pool's replicas not provisioned (topology.services[].max_replicas)", o.Routing)
		}
	}
}

// autoscale puts strategy i's autoscalers on world w's services.
func (sc *Scenario) autoscale(i int, w *topology.World) error {
	s := &sc.Strategies[i]
	for _, a := range s.Autoscaling {
		def, ok := strategies.LookupAutoscaler(a.Autoscaler)
		if !ok {
			return fmt.Errorf("strategy %s: unknown autoscaler %q", s.Name, a.Autoscaler)
		}
		si := slices.IndexFunc(sc.Topology.Services, func(x Service) bool { return x.Name == a.Service })
		if si < 0 {
			return fmt.Errorf("strategy %s: unknown service %q", s.Name, a.Service)
		}
		svc := sc.Topology.Services[si]
		build, err := def.Build(a.params)
		if err != nil {
			return fmt.Errorf("strategy %s: autoscaler %s: %w", s.Name, a.Autoscaler, err)
		}
		initial := svc.Replicas
		if def.Initial != nil {
			initial = def.Initial(a.params, svc.Replicas)
		}
		cfg := topology.ScaleConfig{
			ReadyAfter: svc.ReadyAfter.T(), ColdFactor: svc.ColdStartFactor, ColdTau: svc.ColdStartTau.T(),
			TerminationGrace: svc.TerminationGrace.T(),
		}
		if err := w.Autoscale(w.Services[si], build(), initial, cfg); err != nil {
			return fmt.Errorf("strategy %s: %w", s.Name, err)
		}
	}
	return nil
}

// pooled returns the world's services with a pool (max_replicas).
func (sc *Scenario) pooled(w *topology.World) []*topology.Service {
	var out []*topology.Service
	for i, s := range sc.Topology.Services {
		if s.MaxReplicas > 0 {
			out = append(out, w.Services[i])
		}
	}
	return out
}

// checkReplicaMetric resolves a check on a metric of autoscaled services,
// which must name one with max_replicas (NAME:SERVICE); it reports
// whether the metric is one of those, and whether the check is valid.
func (sc *Scenario) checkReplicaMetric(d *decoder, path string, c *Check, base, qual string, qualified bool) (handled, ok bool) {
	if !slices.Contains(metrics.ReplicaMetrics, base) {
		return false, false
	}
	var names []string
	for _, s := range sc.Topology.Services {
		if s.MaxReplicas > 0 {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		d.errorPath(path, "give the service max_replicas", "%s is measured for autoscaled services (topology.services[].max_replicas), and this scenario has none", base)
		return true, false
	}
	return true, namedMetric(d, path, c, base, qual, qualified, "autoscaled service", "SERVICE", names)
}

// namedMetric finishes a check on a metric measured per named thing (per,
// written base:FORM) over the whole window: it needs one of names and no
// phase. It reports whether the check is valid.
func namedMetric(d *decoder, path string, c *Check, base, qual string, qualified bool, per, form string, names []string) bool {
	if c.Phase != "" {
		d.errorPath(path, "leave phase out", "%s is measured over the whole window, not by phase", base)
		return false
	}
	if !qualified || !slices.Contains(names, qual) {
		d.errorPath(path, didYouMean(qual, names), "%s is measured per %s: name one as %s:%s (they are %s)", base, per, base, form, strings.Join(names, ", "))
		return false
	}
	c.metric = c.Metric
	return true
}

// importedPool returns the service an imported autoscaler applies to: its
// scale target when the scenario has a service of that name, else the
// scenario's only service with max_replicas (renamed reports that).
func importedPool(root *yaml.Node, target string) (to string, renamed bool) {
	services := resolve(lookupKey(resolve(lookupKey(resolve(root), "topology")), "services"))
	if services == nil || services.Kind != yaml.SequenceNode {
		return target, false
	}
	var pooled []string
	for _, s := range services.Content {
		s = resolve(s)
		name := resolve(lookupKey(s, "name"))
		if name == nil {
			continue
		}
		if name.Value == target {
			return target, false
		}
		if m := resolve(lookupKey(s, "max_replicas")); m != nil && m.Value != "0" {
			pooled = append(pooled, name.Value)
		}
	}
	if len(pooled) == 1 {
		return pooled[0], true
	}
	return target, false
}

// mergeAutoscaling adds the imported autoscaling entries src to the
// strategy's own, dst: an entry for a service the strategy already
// autoscales merges under it (its keys and params win).
func mergeAutoscaling(dst, src *yaml.Node) {
	for _, e := range src.Content {
		svc := lookupKey(e, "service")
		var have *yaml.Node
		for _, x := range dst.Content {
			if n := resolve(lookupKey(resolve(x), "service")); n != nil && svc != nil && n.Value == svc.Value {
				have = resolve(x)
			}
		}
		if have == nil {
			dst.Content = append(dst.Content, e)
			continue
		}
		if a, b := resolve(lookupKey(have, "autoscaler")), lookupKey(e, "autoscaler"); a != nil && b != nil && a.Value != b.Value {
			continue // the strategy chose another autoscaler: the imported parameters are not its
		}
		merge(have, e)
	}
}
