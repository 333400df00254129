package faults

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// signalFaults act on the signal bus: what deciders learn about the
// target replicas' load.
var signalFaults = []*Def{
	{
		Name:        "stale-signals",
		Description: "the target replicas' load signals reach deciders late (delay), or stop updating (freeze) so deciders act on an aging view",
		Source:      "E-F2 stale signals",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "delay", Kind: sim.Duration, Default: 10 * sim.Second, Min: sim.Bound(0), Description: "extra delay from measurement to delivery"},
			{Name: "freeze", Kind: sim.Bool, Default: false, Description: "deliver nothing new: the last delivered value stays and ages (delay is then ignored)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			t := topology.Tamper{Delay: p.Duration("delay"), Freeze: p.Bool("freeze")}
			if !t.Freeze && t.Delay == 0 {
				return nil, fmt.Errorf("stale-signals needs a delay > 0 or freeze: true")
			}
			return tamper(t), nil
		},
	},
	{
		Name:        "telemetry-loss",
		Description: "a fraction of the target replicas' signals are dropped on the way (a lossy or overloaded collector)",
		Source:      "E-F4 telemetry loss, D-F4 telemetry gap",
		Targets:     Replicas,
		Params: sim.ParamSet{
			{Name: "fraction", Kind: sim.Ratio, Default: 0.5, Description: "probability each signal is dropped; 100% is a collector outage"},
		},
		Build: func(p sim.Params) (Injector, error) {
			return tamper(topology.Tamper{Loss: p.Float("fraction")}), nil
		},
	},
	{
		Name: "metric-poisoning",
		Description: "the target replicas report wrong load: scale multiplies it by value, offset adds value, constant reports value, " +
			"random reports uniform [0, value), inverted reports max(0, value − load); utilisation and rates follow the load's change",
		Source:  "E-F6 metric poisoning",
		Targets: Replicas,
		Params: sim.ParamSet{
			{Name: "mode", Kind: sim.Enum, Default: "constant", Choices: []string{"scale", "offset", "constant", "random", "inverted"}, Description: "how the reported value is rewritten"},
			{Name: "value", Kind: sim.Float, Default: 0.0, Description: "the mode's operand (default: constant 0, a replica that always looks idle)"},
			{Name: "signal", Kind: sim.Enum, Default: "load", Choices: []string{"load", "latency", "error_rate", "cost", "threat", "lag"},
				Description: "which signal lies: load (in-flight, with utilisation and rates following), latency (seconds), error_rate, cost, threat or lag (seconds)"},
		},
		Build: func(p sim.Params) (Injector, error) {
			if sig, _ := p["signal"].(string); sig != "" && sig != "load" {
				return poisonSignal(sig, p.String("mode"), p.Float("value"))
			}
			return poisoning(p.String("mode"), p.Float("value"))
		},
	},
}

// tamper makes an injector that applies t to each target replica's signals.
func tamper(t topology.Tamper) Injector {
	return perReplica(func(w *topology.World, r *topology.Replica) func() { return w.Bus.Tamper(r, t) })
}

// poisoning builds the metric-poisoning injector. The random mode draws
// from the fault's own stream, created when it is injected.
func poisoning(mode string, value float64) (Injector, error) {
	if mode != "offset" && value < 0 {
		return nil, fmt.Errorf("metric-poisoning %s needs a value ≥ 0, got %g", mode, value)
	}
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		rng := t.Rand
		reverts := make([]func(), 0, len(t.Replicas))
		rewrite := poisoner(mode, value, rng)
		for _, r := range t.Replicas {
			conc := float64(r.Service.Spec.Concurrency)
			poison := func(s topology.Signal) topology.Signal {
				v := rewrite(s.Value)
				switch {
				case s.Value > 0:
					f := v / s.Value
					s.Utilization, s.QPS, s.EPS = math.Min(1, s.Utilization*f), s.QPS*f, s.EPS*f
				case v > 0:
					s.Utilization = math.Min(1, v/conc)
				}
				s.Value = v
				return s
			}
			reverts = append(reverts, w.Bus.Tamper(r, topology.Tamper{Poison: poison}))
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	}), nil
}

// poisoner is what a metric-poisoning mode does to one reading: scale
// it, offset it (floored at 0), replace it with a uniform draw in
// [0, value), invert it around value (floored at 0), or pin it at value.
func poisoner(mode string, value float64, rng *rand.Rand) func(float64) float64 {
	return func(v float64) float64 {
		switch mode {
		case "scale":
			return v * value
		case "offset":
			return math.Max(0, v+value)
		case "random":
			return rng.Float64() * value
		case "inverted":
			return math.Max(0, value-v)
		}
		return value
	}
}

// poisonSignal builds a metric-poisoning injector for one of the signals
// other than load.
func poisonSignal(signal, mode string, value float64) (Injector, error) {
	if mode != "offset" && value < 0 {
		return nil, fmt.Errorf("metric-poisoning %s needs a value ≥ 0, got %g", mode, value)
	}
	return InjectorFunc(func(w *topology.World, t Targets) func() {
		rewrite := poisoner(mode, value, t.Rand)
		poison := func(s topology.Signal) topology.Signal {
			switch signal {
			case "latency":
				s.Latency = rewrite(s.Latency)
			case "error_rate":
				s.ErrorRate = rewrite(s.ErrorRate)
				s.EPS = s.ErrorRate * s.QPS
			case "cost":
				s.Cost = rewrite(s.Cost)
			case "threat":
				s.Threat = rewrite(s.Threat)
			case "lag":
				s.Lag = rewrite(s.Lag)
			}
			return s
		}
		reverts := make([]func(), 0, len(t.Replicas))
		for _, r := range t.Replicas {
			reverts = append(reverts, w.Bus.Tamper(r, topology.Tamper{Poison: poison}))
		}
		return func() {
			for _, f := range reverts {
				f()
			}
		}
	}), nil
}
