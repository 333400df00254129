package strategies

import (
	"math/rand/v2"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// StatusPolicy is when a controller writes an object's status.
type StatusPolicy uint8

const (
	StatusNever    StatusPolicy = iota // never
	StatusOnChange                     // when the reconcile changed something (observedGeneration-style)
	StatusAlways                       // on every reconcile (e.g. a lastReconcileTime field): the hot-loop bug
)

// WorkQueueConfig configures a client-go/controller-runtime controller.
type WorkQueueConfig struct {
	Workers int      // MaxConcurrentReconciles (controller-runtime default 1)
	Resync  sim.Time // informer resync (controller-runtime SyncPeriod 10 h), jittered ×U[0.9, 1.1); 0: none
	// GenerationChanged filters update events that did not change the
	// object's generation (controller-runtime predicate.GenerationChangedPredicate).
	GenerationChanged bool
	Status            StatusPolicy
	Limiter           func() RateLimiter // per leadership term
}

// WorkQueue is a level-triggered controller with client-go's workqueue
// semantics (util/workqueue/queue.go, rate_limiting_queue.go,
// delaying_queue.go) and controller-runtime's reconcile handling
// (pkg/internal/controller/controller.go):
//
//   - Add(x) does nothing if x is already dirty; if x is being processed
//     it stays dirty and is re-queued once on Done(x), so N events during a
//     reconcile cause exactly one more;
//   - a reconcile that fails is re-added with AddRateLimited (the limiter's
//     When, MaxOf(5 ms·2^k capped at 1000 s, 10 qps burst 100) by default);
//     one that succeeds is Forgotten;
//   - AddAfter keeps an item waiting until its time, the earliest if added
//     twice;
//   - at most Workers items are processed at once;
//   - every Resync·U[0.9, 1.1) every object is re-added (the informer's
//     resync), the safety net for missed events.
type WorkQueue struct {
	cfg        WorkQueueConfig
	rng        *rand.Rand
	limiter    RateLimiter
	queue      []int32
	dirty      []bool
	processing []bool
	busy       int
	waiting    []waitingItem // sorted by time
	armed      sim.Time      // time the wait timer is set for (0: none)
}

type waitingItem struct {
	at   sim.Time
	item int32
}

const (
	timerWait   = 0
	timerResync = 1
)

// NewWorkQueue returns a work-queue controller drawing jitter from rng.
func NewWorkQueue(cfg WorkQueueConfig, rng *rand.Rand) *WorkQueue {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	q := &WorkQueue{cfg: cfg, rng: rng}
	if cfg.Limiter != nil {
		q.limiter = cfg.Limiter()
	} else {
		q.limiter = DefaultControllerRateLimiter()
	}
	return q
}

// Len is the number of items queued (not waiting, not processing).
func (q *WorkQueue) Len() int { return len(q.queue) }

func (q *WorkQueue) grow(n int) {
	for len(q.dirty) < n {
		q.dirty = append(q.dirty, false)
		q.processing = append(q.processing, false)
	}
}

// Add is workqueue.Add.
func (q *WorkQueue) Add(item int32) {
	q.grow(int(item) + 1)
	if q.dirty[item] {
		return
	}
	q.dirty[item] = true
	if q.processing[item] {
		return
	}
	q.queue = append(q.queue, item)
}

// AddAfter is the delaying queue's AddAfter at now.
func (q *WorkQueue) AddAfter(now sim.Time, item int32, d sim.Time) {
	if d <= 0 {
		q.Add(item)
		return
	}
	at := now + d
	if i := slices.IndexFunc(q.waiting, func(w waitingItem) bool { return w.item == item }); i >= 0 {
		if q.waiting[i].at <= at {
			return
		}
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
	i, _ := slices.BinarySearchFunc(q.waiting, at, func(w waitingItem, t sim.Time) int {
		if w.at <= t {
			return -1
		}
		return 1
	})
	q.waiting = slices.Insert(q.waiting, i, waitingItem{at, item})
}

// get pops the next item to process (workqueue.Get).
func (q *WorkQueue) get() int32 {
	item := q.queue[0]
	q.queue = q.queue[1:]
	q.processing[item] = true
	q.dirty[item] = false
	return item
}

// done is workqueue.Done: an item made dirty while processing is re-queued.
func (q *WorkQueue) done(item int32) {
	q.processing[item] = false
	if q.dirty[item] {
		q.queue = append(q.queue, item)
	}
}

// Step implements state.Reconciler.
func (q *WorkQueue) Step(now sim.Time, v state.ReconcileView, ev state.ReconcileEvent, out []state.ReconcileAction) []state.ReconcileAction {
	q.grow(v.Items())
	switch ev.Kind {
	case state.RecStart:
		for i := 0; i < v.Items(); i++ {
			q.Add(int32(i))
		}
		if q.cfg.Resync > 0 {
			out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerResync, After: q.resyncPeriod()})
		}
	case state.RecChanged:
		if ev.Item < 0 || (q.cfg.GenerationChanged && ev.Source == state.FromStatus) {
			break
		}
		q.Add(ev.Item)
	case state.RecTimer:
		switch ev.Timer {
		case timerWait:
			q.armed = 0
			for len(q.waiting) > 0 && q.waiting[0].at <= now {
				q.Add(q.waiting[0].item)
				q.waiting = q.waiting[1:]
			}
		case timerResync:
			for i := 0; i < v.Items(); i++ {
				q.Add(int32(i))
			}
			out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerResync, After: q.resyncPeriod()})
		}
	case state.RecDone:
		if ev.Item < 0 {
			break
		}
		if ev.OK {
			q.limiter.Forget(ev.Item)
		} else {
			q.AddAfter(now, ev.Item, q.limiter.When(now, ev.Item))
		}
		q.done(ev.Item)
		q.busy--
	}
	for len(q.waiting) > 0 && q.waiting[0].at <= now {
		q.Add(q.waiting[0].item)
		q.waiting = q.waiting[1:]
	}
	for q.busy < q.cfg.Workers && len(q.queue) > 0 {
		item := q.get()
		q.busy++
		status := q.cfg.Status == StatusAlways || (q.cfg.Status == StatusOnChange && v.OutOfSync(int(item)))
		out = append(out, state.ReconcileAction{Kind: state.RecSync, Item: item, Status: status})
	}
	if len(q.waiting) > 0 && (q.armed == 0 || q.waiting[0].at < q.armed) {
		q.armed = q.waiting[0].at
		out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerWait, After: q.armed - now})
	}
	return out
}

func (q *WorkQueue) resyncPeriod() sim.Time {
	return sim.Time(float64(q.cfg.Resync) * (0.9 + 0.2*q.rng.Float64()))
}

// ArgoConfig configures the Argo CD application controller.
type ArgoConfig struct {
	Resync       sim.Time // timeout.reconciliation: 120 s
	ResyncJitter sim.Time // timeout.reconciliation.jitter: 60 s
	AutoSync     bool     // syncPolicy.automated
	SelfHeal     bool     // syncPolicy.automated.selfHeal
	// Backoff uses the exponential self-heal backoff (since v2.13.0:
	// controller/appcontroller.go selfHealRemainingBackoff); without it a
	// fixed SelfHealTimeout separates self-heal attempts (the earlier
	// behaviour, 5 s by default).
	Backoff         bool
	SelfHealTimeout sim.Time // --self-heal-timeout-seconds
	BackoffInitial  sim.Time // --self-heal-backoff-timeout-seconds: 2 s
	BackoffFactor   float64  // --self-heal-backoff-factor: 3
	BackoffCap      sim.Time // --self-heal-backoff-cap-seconds: 300 s
	Cooldown        sim.Time // --self-heal-backoff-cooldown-seconds: 330 s (v3.1–v3.2)
	// CooldownReset restarts the self-heal count once the app has stayed
	// synced for Cooldown, as v3.1.0–v3.2.x did (selfHealBackoffCooldownElapsed);
	// v3.3.0 removed it (PR #25579), so by default the count carries over
	// for as long as the revision is the same.
	CooldownReset bool
	Watch         bool // live resource changes request a refresh (the cluster cache's watch)
	Webhook       bool // git webhooks: a new revision is seen at once rather than at the next resync
}

// DefaultArgoConfig is Argo CD's documented defaults (argoproj/argo-cd
// cmd/argocd-application-controller/commands/argocd_application_controller.go;
// controller/appcontroller.go), with automated sync and self-heal on.
func DefaultArgoConfig() ArgoConfig {
	return ArgoConfig{Resync: 120 * sim.Second, ResyncJitter: 60 * sim.Second, AutoSync: true, SelfHeal: true, Backoff: true,
		SelfHealTimeout: 5 * sim.Second, BackoffInitial: 2 * sim.Second, BackoffFactor: 3, BackoffCap: 300 * sim.Second,
		Cooldown: 330 * sim.Second, Watch: true}
}

// Argo is Argo CD's application controller for one Application whose
// resources are the items:
//
//   - refresh (CompareAppState) every Resync + U[0, ResyncJitter], which
//     resolves the latest git revision (CompareWithLatest; at once with
//     webhooks), and whenever a managed live resource changes (the cluster
//     cache's watch), which compares with the revision already known
//     (CompareWithRecent) and so does not see new commits;
//   - autoSync, when the app is OutOfSync: a revision not yet attempted is
//     synced at once; the same revision again only with selfHeal, after
//     selfHealRemainingBackoff: the k-th self-heal waits SelfHealBackoff(k)
//     (0, 2, 6, 18, 54, 162, 300 s …) counted from the last operation's
//     FinishedAt, the count carried over from the last operation until a
//     new revision (v3.3+, controller/appcontroller.go autoSync; with
//     CooldownReset, v3.1–v3.2, only while the app has not stayed synced
//     for the cooldown); a failed attempt at a revision is not retried
//     against it;
//   - a sync operation applies every OutOfSync resource and writes the
//     application's status; the app is refreshed when it finishes.
//
// Simplification: the comparison and the sync use the desired state in the
// controller's cache, the latest it was told of, rather than the revision
// Argo CD resolved last; they differ only between a commit and the refresh
// that resolves it, and only matter when another path updates the live
// objects ahead of git (Argo CD would then revert them).
type Argo struct {
	cfg          ArgoConfig
	rng          *rand.Rand
	seen         uint64 // the desired revision as of the last refresh
	synced       uint64 // revision of the last sync operation
	hasSynced    bool
	attempts     int      // SelfHealAttemptsCount of the last operation
	finished     sim.Time // FinishedAt of the last operation
	lastOK       bool
	running      bool
	refreshAfter bool // a refresh was asked for while an operation ran
}

const (
	timerArgoResync  = 0
	timerArgoRefresh = 1
)

// NewArgo returns an Argo CD application controller.
func NewArgo(cfg ArgoConfig, rng *rand.Rand) *Argo { return &Argo{cfg: cfg, rng: rng, lastOK: true} }

// Step implements state.Reconciler.
func (a *Argo) Step(now sim.Time, v state.ReconcileView, ev state.ReconcileEvent, out []state.ReconcileAction) []state.ReconcileAction {
	switch ev.Kind {
	case state.RecStart:
		a.seen = v.Revision()
		a.synced, a.hasSynced = a.seen, true // the app starts synced at its initial revision
		out = a.refresh(now, v, true, out)
		return append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerArgoResync, After: a.resyncPeriod()})
	case state.RecChanged:
		switch {
		case ev.Source == state.FromDesired && a.cfg.Webhook:
			return a.refresh(now, v, true, out)
		case ev.Source == state.FromLive && a.cfg.Watch:
			return a.refresh(now, v, false, out)
		}
	case state.RecTimer:
		if ev.Timer == timerArgoResync {
			out = append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerArgoResync, After: a.resyncPeriod()})
			return a.refresh(now, v, true, out)
		}
		return a.refresh(now, v, false, out)
	case state.RecDone:
		a.running = false
		a.finished, a.lastOK = now, ev.OK
		return a.refresh(now, v, false, out)
	}
	return out
}

func (a *Argo) resyncPeriod() sim.Time {
	return a.cfg.Resync + sim.Time(a.rng.Float64()*float64(a.cfg.ResyncJitter))
}

// outOfSync is the app's sync status.
func outOfSync(v state.ReconcileView) bool {
	for i := 0; i < v.Items(); i++ {
		if v.OutOfSync(i) {
			return true
		}
	}
	return false
}

// refresh compares the app (with the latest git revision when latest is
// set, else with the one last resolved) and runs autoSync.
func (a *Argo) refresh(now sim.Time, v state.ReconcileView, latest bool, out []state.ReconcileAction) []state.ReconcileAction {
	if a.running {
		return out
	}
	if latest {
		a.seen = v.Revision()
	}
	if !a.cfg.AutoSync || !outOfSync(v) {
		return out
	}
	if !a.hasSynced || a.seen != a.synced { // a revision not attempted yet
		a.attempts = 0
		return a.sync(out)
	}
	if !a.lastOK || !a.cfg.SelfHeal {
		return out
	}
	attempts := a.attempts
	since := now - a.finished
	if a.cfg.Backoff && a.cfg.CooldownReset && since >= a.cfg.Cooldown {
		attempts = 0 // v3.1–v3.2 selfHealBackoffCooldownElapsed
	}
	delay := a.cfg.SelfHealTimeout
	if a.cfg.Backoff {
		delay = SelfHealBackoff(attempts, a.cfg.BackoffInitial, a.cfg.BackoffFactor, a.cfg.BackoffCap)
	}
	if remaining := delay - since; remaining > 0 {
		return append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerArgoRefresh, After: remaining})
	}
	a.attempts = attempts + 1
	return a.sync(out)
}

func (a *Argo) sync(out []state.ReconcileAction) []state.ReconcileAction {
	a.running = true
	a.synced, a.hasSynced = a.seen, true
	return append(out, state.ReconcileAction{Kind: state.RecSync, Item: -1, Status: true})
}

// FluxConfig configures a Flux kustomize-controller Kustomization.
type FluxConfig struct {
	Source        sim.Time // the GitRepository's .spec.interval: how often new revisions are fetched
	Interval      sim.Time // .spec.interval (required by Flux; ≥ 60 s recommended)
	RetryInterval sim.Time // .spec.retryInterval, default = Interval
	Jitter        float64  // --interval-jitter-percentage: 5 %
}

// Flux is Flux's kustomize-controller for one Kustomization
// (fluxcd/kustomize-controller docs/spec/v1/kustomizations.md): a new
// revision, once the source-controller has fetched it (its GitRepository
// polls every Source, at a phase unrelated to the commit, so the wait is
// U[0, Source)), is applied at once (event-driven); otherwise it
// reconciles every Interval ± Jitter, applying every drifted object (its
// server-side-apply dry-run finds the drift) — drift of live objects is not
// watched between intervals; a failed reconcile retries after RetryInterval.
type Flux struct {
	cfg     FluxConfig
	rng     *rand.Rand
	running bool
	again   bool
	fetch   bool // a new revision waits for the source's next fetch
}

const (
	timerFluxInterval = 0
	timerFluxSource   = 1
)

// NewFlux returns a Flux Kustomization reconciler.
func NewFlux(cfg FluxConfig, rng *rand.Rand) *Flux {
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = cfg.Interval
	}
	return &Flux{cfg: cfg, rng: rng}
}

// Step implements state.Reconciler.
func (f *Flux) Step(now sim.Time, v state.ReconcileView, ev state.ReconcileEvent, out []state.ReconcileAction) []state.ReconcileAction {
	switch ev.Kind {
	case state.RecStart:
		return f.run(out)
	case state.RecChanged:
		if ev.Source != state.FromDesired {
			break
		}
		if f.cfg.Source <= 0 {
			return f.run(out)
		}
		if !f.fetch {
			f.fetch = true
			wait := sim.Time(f.rng.Float64() * float64(f.cfg.Source))
			return append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerFluxSource, After: wait})
		}
	case state.RecTimer:
		if ev.Timer == timerFluxSource {
			f.fetch = false
		}
		return f.run(out)
	case state.RecDone:
		f.running = false
		if f.again {
			f.again = false
			return f.run(out)
		}
		next := f.cfg.RetryInterval
		if ev.OK {
			next = sim.Time(float64(f.cfg.Interval) * (1 + f.cfg.Jitter*(2*f.rng.Float64()-1)))
		}
		return append(out, state.ReconcileAction{Kind: state.RecSetTimer, Timer: timerFluxInterval, After: next})
	}
	return out
}

func (f *Flux) run(out []state.ReconcileAction) []state.ReconcileAction {
	if f.running {
		f.again = true
		return out
	}
	f.running = true
	return append(out, state.ReconcileAction{Kind: state.RecSync, Item: -1, Status: true})
}

// Debounced is a generic level-triggered repair loop hardened against
// thrash, the seed document's F5 mitigation ("debounce and backoff rules"):
// drift seen on live state starts a quiet-period timer (Debounce, pushed
// back by every further event but never beyond DebounceMax after the first:
// Istio's PILOT_DEBOUNCE_AFTER/MAX pattern); when it fires every drifted
// item is synced. A sync followed by drift again within Settle doubles the
// next quiet period (exponential backoff from Debounce up to BackoffMax);
// a quiet Settle resets it.
type Debounced struct {
	Debounce, DebounceMax, BackoffMax, Settle sim.Time

	first   sim.Time // first event of the current burst
	burst   bool
	wait    sim.Time // current quiet period
	synced  sim.Time // end of the last sync
	judged  bool     // the last sync's outcome has adjusted wait
	hasSync bool
	running bool
	pending bool
}

// Step implements state.Reconciler.
func (d *Debounced) Step(now sim.Time, v state.ReconcileView, ev state.ReconcileEvent, out []state.ReconcileAction) []state.ReconcileAction {
	if d.wait == 0 {
		d.wait = d.Debounce
	}
	switch ev.Kind {
	case state.RecStart:
		return d.arm(now, out)
	case state.RecChanged:
		if ev.Source != state.FromStatus && (ev.OutOfSync || ev.Source == state.FromDesired) {
			return d.arm(now, out)
		}
	case state.RecTimer:
		d.burst = false
		if d.running {
			d.pending = true
			return out
		}
		if !outOfSync(v) {
			return out
		}
		d.running = true
		return append(out, state.ReconcileAction{Kind: state.RecSync, Item: -1, Status: false})
	case state.RecDone:
		d.running = false
		d.synced, d.hasSync, d.judged = now, true, false
		if d.pending {
			d.pending = false
			return d.arm(now, out)
		}
	}
	return out
}

// arm starts or extends the quiet period after an event.
func (d *Debounced) arm(now sim.Time, out []state.ReconcileAction) []state.ReconcileAction {
	if d.hasSync && !d.judged {
		d.judged = true
		if now-d.synced < d.Settle {
			d.wait = min(2*d.wait, d.BackoffMax) // the last repair did not stick
		} else {
			d.wait = d.Debounce
		}
	}
	if !d.burst {
		d.burst, d.first = true, now
	}
	at := min(now+d.wait, d.first+max(d.DebounceMax, d.wait))
	return append(out, state.ReconcileAction{Kind: state.RecSetTimer, After: at - now})
}
