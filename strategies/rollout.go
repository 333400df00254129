package strategies

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// RollbackPolicy is when a rollout is reverted automatically.
type RollbackPolicy uint8

const (
	RollbackNone       RollbackPolicy = iota // never (a Kubernetes Deployment just reports Progressing=False)
	RollbackOnDeadline                       // when the progress deadline passes (Helm --atomic, Argo Rollouts' abort)
	RollbackOnAnalysis                       // when the new version fails its analysis (Flagger, Argo Rollouts)
)

// DeploymentConfig configures a rolling update.
type DeploymentConfig struct {
	MaxSurge, MaxUnavailable         float64 // fractions of replicas: surge rounded up, unavailable rounded down
	MaxSurgePods, MaxUnavailablePods int     // absolute counts; used instead when ≥ 0
	ProgressDeadline                 sim.Time
	Rollback                         RollbackPolicy
	// Analysis (Flagger's request-success-rate check): every Interval the
	// success rate of requests the new version served since the last check
	// must be at least MinSuccess; Threshold failed checks roll back.
	Interval   sim.Time
	Threshold  int
	MinSuccess float64
}

// DefaultDeploymentConfig is Kubernetes' RollingUpdate default — maxSurge
// 25 % rounded up, maxUnavailable 25 % rounded down, progressDeadlineSeconds
// 600 (apps/v1 RollingUpdateDeployment, DeploymentSpec) — with Flagger's
// analysis defaults for when analysis is on: interval 60 s, threshold 1
// failed check, request-success-rate ≥ 99 % (fluxcd/flagger docs
// usage/deployment-strategies.md, metrics.md).
func DefaultDeploymentConfig() DeploymentConfig {
	return DeploymentConfig{MaxSurge: 0.25, MaxUnavailable: 0.25, MaxSurgePods: -1, MaxUnavailablePods: -1,
		ProgressDeadline: 600 * sim.Second, Interval: 60 * sim.Second, Threshold: 1, MinSuccess: 0.99}
}

// Fenceposts resolves maxSurge and maxUnavailable for n replicas as the
// Deployment controller does (deploymentutil.ResolveFenceposts): surge
// rounded up, unavailable rounded down, and if both come to 0,
// maxUnavailable is 1.
func (c DeploymentConfig) Fenceposts(n int) (surge, unavailable int) {
	surge = int(math.Ceil(c.MaxSurge*float64(n) - 1e-9))
	unavailable = int(math.Floor(c.MaxUnavailable*float64(n) + 1e-9))
	if c.MaxSurgePods >= 0 {
		surge = c.MaxSurgePods
	}
	if c.MaxUnavailablePods >= 0 {
		unavailable = c.MaxUnavailablePods
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// Deployment is a Kubernetes Deployment's rolling update (kubernetes
// pkg/controller/deployment/rolling.go): new pods are started beside old
// ones while pods stay within replicas+maxSurge, and old pods are removed
// while available pods stay at least replicas−maxUnavailable; when no new
// pod has become available for ProgressDeadline the rollout is marked
// stalled (ProgressDeadlineExceeded). With Rollback it reverts to the
// previous version on the deadline or on failed analysis.
type Deployment struct {
	cfg      DeploymentConfig
	started  sim.Time // the rollout this state belongs to
	stalled  bool
	failed   int
	lastReq  uint64
	lastErr  uint64
	nextEval sim.Time
	armed    sim.Time
}

// NewDeployment returns a Deployment rollout strategy.
func NewDeployment(cfg DeploymentConfig) *Deployment { return &Deployment{cfg: cfg, started: -1} }

// Step implements state.Rollout.
func (d *Deployment) Step(now sim.Time, v state.RolloutView, ev state.RolloutEvent, out []state.RolloutAction) []state.RolloutAction {
	n := v.Replicas()
	desired := v.Desired()
	if d.started != v.Started() { // a new rollout
		d.started, d.stalled, d.failed, d.armed = v.Started(), false, 0, 0
		d.lastReq, d.lastErr = v.Served(desired)
		d.nextEval = now + d.cfg.Interval
	}
	done := true
	surging, replacing := 0, 0
	for i := 0; i < n; i++ {
		ph := v.Phase(i)
		if ph != state.SlotStable && v.Target(i) != desired {
			out = append(out, state.RolloutAction{Kind: state.RollAbort, Slot: i})
			if ph == state.SlotSurging {
				ph = state.SlotStable
			}
		}
		switch ph {
		case state.SlotSurging:
			surging++
		case state.SlotReplacing:
			replacing++
		}
		if ph != state.SlotStable || v.Version(i) != desired {
			done = false
		}
	}
	if done {
		return out
	}
	// Analysis of the new version.
	if d.cfg.Rollback == RollbackOnAnalysis && !v.RollingBack() && now >= d.nextEval {
		req, errs := v.Served(desired)
		if dr := req - d.lastReq; dr > 0 {
			ok := float64(dr-(errs-d.lastErr)) / float64(dr)
			if ok < d.cfg.MinSuccess {
				d.failed++
			}
		}
		d.lastReq, d.lastErr = req, errs
		d.nextEval = now + d.cfg.Interval
		if d.failed >= d.cfg.Threshold {
			return append(out, state.RolloutAction{Kind: state.RollBack})
		}
	}
	// Progress deadline.
	if deadline := v.Progressed() + d.cfg.ProgressDeadline; now >= deadline && !d.stalled {
		d.stalled = true
		out = append(out, state.RolloutAction{Kind: state.RollStalled})
		if d.cfg.Rollback == RollbackOnDeadline && !v.RollingBack() {
			return append(out, state.RolloutAction{Kind: state.RollBack})
		}
	}
	maxSurge, maxUnavailable := d.cfg.Fenceposts(n)
	for i := 0; i < n && surging < maxSurge; i++ {
		if v.Phase(i) == state.SlotStable && v.Version(i) != desired {
			out = append(out, state.RolloutAction{Kind: state.RollSurge, Slot: i})
			surging++
		}
	}
	for i := n - 1; i >= 0 && replacing < maxUnavailable; i-- {
		if v.Phase(i) == state.SlotStable && v.Version(i) != desired && !d.surgedNow(out, i) {
			out = append(out, state.RolloutAction{Kind: state.RollReplace, Slot: i})
			replacing++
		}
	}
	// Wake for the next analysis or the deadline, whichever comes first.
	wake := v.Progressed() + d.cfg.ProgressDeadline
	if d.stalled {
		wake = sim.Never
	}
	if d.cfg.Rollback == RollbackOnAnalysis && !v.RollingBack() {
		wake = min(wake, d.nextEval)
	}
	if wake != sim.Never && wake != d.armed {
		d.armed = wake
		out = append(out, state.RolloutAction{Kind: state.RollSetTimer, After: max(wake-now, 0)})
	}
	return out
}

// surgedNow reports whether out already surges slot i.
func (d *Deployment) surgedNow(out []state.RolloutAction, i int) bool {
	for _, a := range out {
		if a.Kind == state.RollSurge && a.Slot == i {
			return true
		}
	}
	return false
}
