package strategies

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// AutoscalerDef is an autoscaler (a replica-count control loop) as
// scenario files name it (strategies[].autoscaling[].autoscaler).
type AutoscalerDef struct {
	Name        string
	Description string
	Source      string
	Params      sim.ParamSet
	// Build returns the factory of one autoscaler per world, from
	// complete, checked parameter values.
	Build func(p sim.Params) (func() topology.Autoscaler, error)
	// Initial is how many replicas are ready at the start, given the
	// service's replicas; nil: those.
	Initial func(p sim.Params, replicas int) int
}

var autoscalers = sim.NewRegistry(func(d *AutoscalerDef) string { return d.Name }, autoscalerDefs)

// Autoscalers returns every autoscaler, sorted by name.
func Autoscalers() []*AutoscalerDef { return autoscalers.All() }

// LookupAutoscaler returns the autoscaler called name.
func LookupAutoscaler(name string) (*AutoscalerDef, bool) { return autoscalers.Lookup(name) }

// AutoscalerNames lists the autoscalers' names, sorted.
func AutoscalerNames() []string { return autoscalers.Names() }

// Fixed keeps a service at a fixed number of replicas, ready from the
// start: a Deployment's spec.replicas with no autoscaler (the
// over-provisioning baseline).
type Fixed struct{ N int }

// Interval implements topology.Autoscaler: a fixed count never syncs.
func (f Fixed) Interval() sim.Time { return 0 }

// Scale implements topology.Autoscaler.
func (f Fixed) Scale(*topology.ScaleView) int { return f.N }

var autoscalerDefs = []*AutoscalerDef{
	{
		Name:        "fixed",
		Description: "a fixed replica count, ready from the start (a Deployment without an autoscaler): the over-provisioning baseline",
		Source:      "Kubernetes Deployment spec.replicas",
		Params: sim.ParamSet{
			{Name: "replicas", Kind: sim.Int, Default: int64(1), Min: sim.Bound(1), Description: "replicas ready for the whole run (at most the service's max_replicas)"},
		},
		Build: func(p sim.Params) (func() topology.Autoscaler, error) {
			n := int(p.Int("replicas"))
			return func() topology.Autoscaler { return Fixed{N: n} }, nil
		},
		Initial: func(p sim.Params, _ int) int { return int(p.Int("replicas")) },
	},
	{
		Name:        "hpa",
		Description: "Kubernetes HorizontalPodAutoscaler (autoscaling/v2): desired = ceil(ready × utilisation/target) outside the tolerance, unready pods as the controller treats them, scale-down stabilisation (max of the window's recommendations) and scale-up/down rate policies",
		Source:      "kubernetes/kubernetes pkg/controller/podautoscaler: replica_calculator.go GetResourceReplicas, calcPlainMetricReplicas, groupPods; horizontal.go stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate, calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors; defaults pkg/apis/autoscaling/v2/defaults.go",
		Params:      hpaParams,
		Build: func(p sim.Params) (func() topology.Autoscaler, error) {
			cfg, err := HPAConfigOf(p)
			if err != nil {
				return nil, err
			}
			return func() topology.Autoscaler { return NewHPA(cfg) }, nil
		},
	},
	{
		Name:        "kpa",
		Description: "Knative Pod Autoscaler: concurrency per pod against target × utilisation over a 60 s stable window, a panic window (10% of it) that takes over when it asks for twice the ready pods, never scaling down in panic, rate-limited up and down; an idle revision scales to zero after the stable window and a 30 s grace period, and requests then wait at the activator for a cold pod",
		Source:      "knative/serving pkg/autoscaler/scaling/autoscaler.go (autoscaler.Scale), pkg/autoscaler/config/config.go defaults, pkg/reconciler/autoscaling/resources/target.go ResolveMetricTarget, pkg/reconciler/autoscaling/kpa/scaler.go handleScaleToZero, pkg/activator/net/throttler.go",
		Params:      kpaParams,
		Build: func(p sim.Params) (func() topology.Autoscaler, error) {
			cfg := KPAConfigOf(p)
			if cfg.MaxReplicas > 0 && cfg.MaxReplicas < cfg.MinReplicas {
				return nil, fmt.Errorf("max_replicas (%d) is below min_replicas (%d)", cfg.MaxReplicas, cfg.MinReplicas)
			}
			return func() topology.Autoscaler { return NewKPA(cfg) }, nil
		},
	},
}
