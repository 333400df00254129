package strategies

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// ControlDef is a control-plane strategy — a reconciler, an elector or a
// rollout — as scenario files name it: `reconciler: {kind: argocd, params:
// {...}}` on a strategy.
type ControlDef struct {
	Name        string
	Description string
	Source      string
	Params      sim.ParamSet
	// Build applies complete, checked parameters to c, the control plane
	// of one run.
	Build func(p sim.Params, c *ControlPlan) error
}

// ControlPlan is the control plane of one run as the control strategies
// fill it: the state model's plug points, the data layer's and the
// routing control plane's.
type ControlPlan struct {
	state.Control
	Data   data.Policy       // how coordinators use the datastore
	Repair data.NewRepairer  // each data replica's anti-entropy loop; nil: none
	Route  *routectl.Control // routing decision engines; nil: none (rollouts may still split traffic)
}

// ControlKind is which plug point a ControlDef fills.
type ControlKind uint8

const (
	ReconcilerKind ControlKind = iota
	ElectionKind
	RolloutKind
)

var controlKindNames = [...]string{"reconciler", "election", "rollout"}

func (k ControlKind) String() string { return controlKindNames[k] }

func dur(name string, def sim.Time, min float64, desc, src string) sim.Param {
	return sim.Param{Name: name, Kind: sim.Duration, Unit: "duration", Default: def, Min: sim.Bound(min), Description: desc, Source: src}
}

func boolean(name string, def bool, desc, src string) sim.Param {
	return sim.Param{Name: name, Kind: sim.Bool, Default: def, Description: desc, Source: src}
}

const (
	srcClientGoQueue = "kubernetes/client-go util/workqueue (queue.go, default_rate_limiters.go)"
	srcCR            = "kubernetes-sigs/controller-runtime pkg/internal/controller, pkg/predicate"
	srcArgo          = "argoproj/argo-cd cmd/argocd-application-controller, controller/appcontroller.go"
	srcLease         = "kubernetes/client-go tools/leaderelection/leaderelection.go"
)

var reconcilerDefs = []*ControlDef{
	{
		Name:        "none",
		Description: "nothing repairs drift: only the channels move values",
		Source:      "baseline",
		Build:       func(sim.Params, *ControlPlan) error { return nil },
	},
	{
		Name:        "workqueue",
		Description: "a level-triggered controller: client-go workqueue (dedup, one re-queue on Done), rate-limited retries, informer resync, optional generation-changed predicate",
		Source:      srcClientGoQueue + "; " + srcCR,
		Params: sim.ParamSet{
			{Name: "workers", Kind: sim.Int, Unit: "reconciles", Default: int64(1), Min: sim.Bound(1), Description: "MaxConcurrentReconciles", Source: "controller-runtime pkg/controller/controller.go (default 1)"},
			dur("resync", 10*sim.Hour, 0, "informer resync period, jittered ×U[0.9, 1.1); 0 disables", "controller-runtime pkg/cache SyncPeriod (10 h, 10% jitter)"),
			boolean("generation_changed", false, "drop update events that did not change the object's generation (status writes)", "controller-runtime predicate.GenerationChangedPredicate (PR #553)"),
			{Name: "status", Kind: sim.Enum, Default: "on-change", Choices: []string{"never", "on-change", "always"}, Description: "when each reconcile writes the object's status: always is the hot-loop bug (controller-runtime #2831)"},
			dur("base_delay", 5*sim.Millisecond, 0.000001, "per-item exponential retry: first delay", "client-go DefaultControllerRateLimiter"),
			dur("max_delay", 1000*sim.Second, 0.000001, "per-item exponential retry: cap", "client-go DefaultControllerRateLimiter"),
			boolean("bucket", true, "also apply the global token bucket (MaxOf both); controller-runtime ≥ 0.23 drops it", "client-go DefaultControllerRateLimiter; controller-runtime d2c0c8b5"),
			{Name: "qps", Kind: sim.Float, Unit: "1/s", Default: 10.0, Min: sim.Bound(0.001), Description: "token bucket refill rate", Source: "client-go BucketRateLimiter (10 qps)"},
			{Name: "burst", Kind: sim.Int, Unit: "tokens", Default: int64(100), Min: sim.Bound(1), Description: "token bucket size", Source: "client-go BucketRateLimiter (burst 100)"},
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			status := map[string]StatusPolicy{"never": StatusNever, "on-change": StatusOnChange, "always": StatusAlways}[p.String("status")]
			base, maxd, bucket := p.Duration("base_delay"), p.Duration("max_delay"), p.Bool("bucket")
			qps, burst := p.Float("qps"), int(p.Int("burst"))
			if maxd < base {
				return fmt.Errorf("max_delay (%v) must be at least base_delay (%v)", maxd, base)
			}
			cfg := WorkQueueConfig{Workers: int(p.Int("workers")), Resync: p.Duration("resync"), GenerationChanged: p.Bool("generation_changed"), Status: status,
				Limiter: func() RateLimiter {
					exp := &ItemExponential{Base: base, Max: maxd}
					if !bucket {
						return exp
					}
					return MaxOf{exp, &Bucket{QPS: qps, Burst: burst}}
				}}
			c.Reconciler = func(rng *rand.Rand) state.Reconciler { return NewWorkQueue(cfg, rng) }
			return nil
		},
	},
	{
		Name:        "argocd",
		Description: "Argo CD's application controller: refresh every 120 s + U[0, 60 s] and on live changes, automated sync, self-heal with backoff 0, 2, 6, 18, 54, 162, 300 s",
		Source:      srcArgo + "; docs/user-guide/auto_sync.md",
		Params: sim.ParamSet{
			dur("resync", 120*sim.Second, 1, "timeout.reconciliation: periodic refresh", srcArgo+" (defaultAppResyncPeriod 120)"),
			dur("resync_jitter", 60*sim.Second, 0, "timeout.reconciliation.jitter: up to this much is added to each period", srcArgo+" (defaultAppResyncPeriodJitter 60)"),
			boolean("auto_sync", true, "syncPolicy.automated", "auto_sync.md"),
			boolean("self_heal", true, "syncPolicy.automated.selfHeal: re-sync drift at an already-synced revision", "auto_sync.md"),
			boolean("self_heal_backoff", true, "exponential self-heal backoff (since v2.13.0); false: a fixed self_heal_timeout between attempts (before v2.13)", "controller/appcontroller.go selfHealRemainingBackoff (PR #20275, in v2.13.0)"),
			dur("self_heal_timeout", 5*sim.Second, 0, "fixed delay between self-heal attempts when the backoff is off", "auto_sync.md (\"5 seconds by default\", pre-2.13)"),
			dur("backoff_initial", 2*sim.Second, 0.000001, "--self-heal-backoff-timeout-seconds", srcArgo+" (2)"),
			{Name: "backoff_factor", Kind: sim.Float, Default: 3.0, Min: sim.Bound(1), Description: "--self-heal-backoff-factor", Source: srcArgo + " (3)"},
			dur("backoff_cap", 300*sim.Second, 0, "--self-heal-backoff-cap-seconds", srcArgo+" (300)"),
			boolean("cooldown_reset", false, "v3.1–v3.2 behaviour: the self-heal count resets after the app stayed synced for cooldown; false (v3.3+ and before v3.1): it carries over until a new revision", "controller/appcontroller.go selfHealBackoffCooldownElapsed (v3.1.0–v3.2.x; removed by PR #25579)"),
			dur("cooldown", 330*sim.Second, 0, "--self-heal-backoff-cooldown-seconds: time synced after which the self-heal count resets, with cooldown_reset", srcArgo+" (330; v3.1–v3.2)"),
			boolean("watch", true, "live resource changes request a refresh (the cluster cache's watch)", srcArgo),
			boolean("webhook", false, "a git webhook: new revisions are seen at once instead of at the next refresh", "Argo CD docs operator-manual/webhook.md"),
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := ArgoConfig{Resync: p.Duration("resync"), ResyncJitter: p.Duration("resync_jitter"), AutoSync: p.Bool("auto_sync"),
				SelfHeal: p.Bool("self_heal"), Backoff: p.Bool("self_heal_backoff"), SelfHealTimeout: p.Duration("self_heal_timeout"),
				BackoffInitial: p.Duration("backoff_initial"), BackoffFactor: p.Float("backoff_factor"), BackoffCap: p.Duration("backoff_cap"),
				Cooldown: p.Duration("cooldown"), CooldownReset: p.Bool("cooldown_reset"), Watch: p.Bool("watch"), Webhook: p.Bool("webhook")}
			c.Reconciler = func(rng *rand.Rand) state.Reconciler { return NewArgo(cfg, rng) }
			return nil
		},
	},
	{
		Name:        "flux",
		Description: "Flux kustomize-controller: applies a new revision at once, otherwise corrects drift every interval ± 5%",
		Source:      "fluxcd/kustomize-controller docs/spec/v1/kustomizations.md; --interval-jitter-percentage",
		Params: sim.ParamSet{
			dur("interval", 10*sim.Minute, 1, ".spec.interval (required by Flux; at least 60 s recommended)", "kustomizations.md"),
			dur("source_interval", sim.Minute, 0, "the GitRepository's .spec.interval: new revisions are fetched this often (0: seen at once, as with a webhook Receiver)", "fluxcd/source-controller docs/spec/v1/gitrepositories.md"),
			dur("retry_interval", 0, 0, ".spec.retryInterval after a failed reconcile; 0 means the interval", "kustomizations.md"),
			{Name: "jitter", Kind: sim.Ratio, Default: 0.05, Description: "interval jitter, ±", Source: "kustomize-controller --interval-jitter-percentage (5)"},
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := FluxConfig{Source: p.Duration("source_interval"), Interval: p.Duration("interval"), RetryInterval: p.Duration("retry_interval"), Jitter: p.Float("jitter")}
			c.Reconciler = func(rng *rand.Rand) state.Reconciler { return NewFlux(cfg, rng) }
			return nil
		},
	},
	{
		Name:        "debounced",
		Description: "a level-triggered repair loop with a quiet period before acting and exponential backoff when repairs do not stick",
		Source:      "seed document F5 mitigation (debounce and backoff); Istio PILOT_DEBOUNCE_AFTER/MAX as the debounce pattern",
		Params: sim.ParamSet{
			dur("debounce", 100*sim.Millisecond, 0, "quiet period after the last drift event", "istio pilot/pkg/features/pilot.go (100 ms)"),
			dur("debounce_max", 10*sim.Second, 0, "longest wait after the first event of a burst", "istio pilot/pkg/features/pilot.go (10 s)"),
			dur("backoff_max", 5*sim.Minute, 0, "cap of the quiet period while repairs keep being undone", ""),
			dur("settle", time30s, 0, "a repair followed by drift within this long counts as not sticking", ""),
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			d, dm, bm, st := p.Duration("debounce"), p.Duration("debounce_max"), p.Duration("backoff_max"), p.Duration("settle")
			c.Reconciler = func(*rand.Rand) state.Reconciler {
				return &Debounced{Debounce: d, DebounceMax: dm, BackoffMax: bm, Settle: st}
			}
			return nil
		},
	},
}

const time30s = 30 * sim.Second

var electionDefs = []*ControlDef{
	{
		Name:        "client-go",
		Description: "client-go lease election: candidates retry every 2–4.4 s, the leader renews every 2 s and stops after 10 s without a renewal; expiry judged on each candidate's own clock",
		Source:      srcLease + "; fencing tokens: Kleppmann, How to do distributed locking (2016)",
		Params: sim.ParamSet{
			dur("lease_duration", 15*sim.Second, 0.000001, "LeaseDuration", srcLease),
			dur("renew_deadline", 10*sim.Second, 0.000001, "RenewDeadline", srcLease),
			dur("retry_period", 2*sim.Second, 0.000001, "RetryPeriod", srcLease),
			{Name: "jitter_factor", Kind: sim.Float, Default: 1.2, Min: sim.Bound(0), Description: "JitterFactor of the acquire loop", Source: srcLease},
			boolean("fencing", false, "the store rejects writes whose token (LeaderTransitions at acquisition) is below the current lease's", "Kleppmann 2016; etcd lease-guarded transactions"),
			boolean("step_down", true, "stop leading when renewals have failed for renew_deadline, as client-go does; false: a naive lease user that keeps acting until it reads another holder (split brain under a partition longer than the lease)", "reconcile-slo.md §2.2; Kleppmann 2016"),
			{Name: "expiry", Kind: sim.Enum, Default: "observed", Choices: []string{"observed", "record"},
				Description: "observed: client-go's observedTime on the candidate's monotonic clock; record: the holder's RenewTime against the candidate's wall clock (offsets and jumps then matter)", Source: "client-go #448"},
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := LeaseConfig{LeaseDuration: p.Duration("lease_duration"), RenewDeadline: p.Duration("renew_deadline"),
				RetryPeriod: p.Duration("retry_period"), JitterFactor: p.Float("jitter_factor"), ExpiryFromRecord: p.String("expiry") == "record",
				NoStepDown: !p.Bool("step_down")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			c.Elector = func(id int32, rng *rand.Rand) state.Elector { return NewLeaseElector(cfg, id, rng) }
			c.Fencing = p.Bool("fencing")
			return nil
		},
	},
}

var rolloutDefs = []*ControlDef{
	{
		Name:        "deployment",
		Description: "a Kubernetes Deployment rolling update (maxSurge 25% up, maxUnavailable 25% down, progress deadline 600 s), optionally rolled back on the deadline or on failed analysis",
		Source:      "kubernetes apps/v1 RollingUpdateDeployment, pkg/controller/deployment/rolling.go; Flagger analysis (fluxcd/flagger docs)",
		Params: sim.ParamSet{
			{Name: "max_surge", Kind: sim.Ratio, Default: 0.25, Description: "extra pods during the update, as a fraction of replicas, rounded up", Source: "apps/v1 RollingUpdateDeployment (25%)"},
			{Name: "max_unavailable", Kind: sim.Ratio, Default: 0.25, Description: "pods that may be unavailable, as a fraction of replicas, rounded down", Source: "apps/v1 RollingUpdateDeployment (25%)"},
			{Name: "max_surge_pods", Kind: sim.Int, Unit: "pods", Default: int64(-1), Min: sim.Bound(-1), Description: "max surge as a count of pods (≥ 0 overrides max_surge)"},
			{Name: "max_unavailable_pods", Kind: sim.Int, Unit: "pods", Default: int64(-1), Min: sim.Bound(-1), Description: "max unavailable as a count of pods (≥ 0 overrides max_unavailable)"},
			dur("progress_deadline", 600*sim.Second, 1, "progressDeadlineSeconds: no new pod available for this long marks the rollout stalled", "apps/v1 DeploymentSpec (600)"),
			{Name: "rollback", Kind: sim.Enum, Default: "none", Choices: []string{"none", "on-deadline", "on-analysis"}, Description: "automated rollback: none (plain Kubernetes), on the progress deadline, or on failed analysis"},
			dur("interval", 60*sim.Second, 1, "analysis interval", "Flagger analysis.interval (60 s)"),
			{Name: "threshold", Kind: sim.Int, Default: int64(1), Min: sim.Bound(1), Description: "failed checks before rolling back", Source: "Flagger analysis.threshold (1 when unset)"},
			{Name: "min_success", Kind: sim.Ratio, Default: 0.99, Description: "minimum success rate of requests the new version served in an interval", Source: "Flagger builtin request-success-rate (99%)"},
		},
		Build: func(p sim.Params, c *ControlPlan) error {
			cfg := DeploymentConfig{MaxSurge: p.Float("max_surge"), MaxUnavailable: p.Float("max_unavailable"),
				MaxSurgePods: int(p.Int("max_surge_pods")), MaxUnavailablePods: int(p.Int("max_unavailable_pods")),
				ProgressDeadline: p.Duration("progress_deadline"), Interval: p.Duration("interval"),
				Threshold: int(p.Int("threshold")), MinSuccess: p.Float("min_success")}
			cfg.Rollback = map[string]RollbackPolicy{"none": RollbackNone, "on-deadline": RollbackOnDeadline, "on-analysis": RollbackOnAnalysis}[p.String("rollback")]
			c.Rollout = func(*rand.Rand) state.Rollout { return NewDeployment(cfg) }
			return nil
		},
	},
}

var controlDefs = [...]sim.Registry[*ControlDef]{
	ReconcilerKind: sim.NewRegistry(controlName, reconcilerDefs, dataReconcilerDefs),
	ElectionKind:   sim.NewRegistry(controlName, electionDefs),
	RolloutKind:    sim.NewRegistry(controlName, rolloutDefs, canaryRolloutDefs),
}

func controlName(d *ControlDef) string { return d.Name }

// Controls returns the strategies of one control plug point, sorted by name.
func Controls(k ControlKind) []*ControlDef { return controlDefs[k].All() }

// LookupControl returns the strategy of plug point k called name.
func LookupControl(k ControlKind, name string) (*ControlDef, bool) {
	return controlDefs[k].Lookup(name)
}

// ControlNames lists the names of plug point k's strategies, sorted.
func ControlNames(k ControlKind) []string { return controlDefs[k].Names() }
