package strategies

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"
)

// LeaseConfig configures client-go lease-based leader election.
type LeaseConfig struct {
	LeaseDuration sim.Time // how long a candidate waits after it last saw the record change before taking over
	RenewDeadline sim.Time // how long the leader keeps retrying a renewal before it stops leading
	RetryPeriod   sim.Time // between attempts
	JitterFactor  float64  // candidates wait RetryPeriod·(1 + JitterFactor·U[0,1)) between attempts
	// ExpiryFromRecord judges expiry from the holder's RenewTime against the
	// candidate's wall clock, as implementations that trust the record's
	// timestamp do, instead of client-go's observedTime on the candidate's
	// monotonic clock. It makes clock offsets and jumps matter.
	ExpiryFromRecord bool
	// NoStepDown keeps a leader acting when its renewals fail, until it
	// reads another holder in the lease: not client-go (which stops at
	// RenewDeadline) but a naive lease user; a partition longer than the
	// lease then gives two leaders (reconcile-slo.md §2.2, Kleppmann 2016).
	NoStepDown bool
}

// DefaultLeaseConfig is client-go's default ("Core clients default"):
// LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s, JitterFactor 1.2
// (kubernetes/client-go tools/leaderelection/leaderelection.go; the same
// values are kube-controller-manager's --leader-elect-* defaults and
// controller-runtime's).
func DefaultLeaseConfig() LeaseConfig {
	return LeaseConfig{LeaseDuration: 15 * sim.Second, RenewDeadline: 10 * sim.Second, RetryPeriod: 2 * sim.Second, JitterFactor: 1.2}
}

// Validate applies client-go's NewLeaderElector checks.
func (c LeaseConfig) Validate() error {
	switch {
	case c.LeaseDuration <= c.RenewDeadline:
		return fmt.Errorf("lease_duration (%v) must be greater than renew_deadline (%v)", c.LeaseDuration, c.RenewDeadline)
	case float64(c.RenewDeadline) <= c.JitterFactor*float64(c.RetryPeriod):
		return fmt.Errorf("renew_deadline (%v) must be greater than retry_period·%g (%v)", c.RenewDeadline, c.JitterFactor, sim.Time(c.JitterFactor*float64(c.RetryPeriod)))
	case c.LeaseDuration < 1 || c.RenewDeadline < 1 || c.RetryPeriod < 1 || c.JitterFactor < 0:
		return fmt.Errorf("durations must be positive and the jitter factor not negative")
	}
	return nil
}

// LeaseElector is client-go's LeaderElector (kubernetes/client-go
// tools/leaderelection/leaderelection.go) as a step machine:
//
//   - acquire: every RetryPeriod·(1+JitterFactor·U) after the previous
//     attempt ended (wait.JitterUntil, sliding), try tryAcquireOrRenew;
//   - renew: once leading, every RetryPeriod (wait.Until) poll
//     tryAcquireOrRenew every RetryPeriod for at most RenewDeadline
//     (PollUntilContextTimeout, immediate); if it never succeeds, stop
//     leading (OnStoppedLeading) and, as a restarted process would, start
//     over as a fresh candidate;
//   - tryAcquireOrRenew: the leader whose lease is still valid updates the
//     record directly (the optimistic fast path), falling back on a
//     conflict; otherwise GET the lease, create it if absent, remember the
//     time it last saw the record change (observedTime, on its own
//     monotonic clock), give up if another holder's lease has not expired
//     (observedTime + LeaseDurationSeconds > now), else UPDATE it with
//     optimistic concurrency, bumping LeaderTransitions when the holder
//     changes.
//
// The library "does not guarantee that only one client is acting as a
// leader (a.k.a. fencing)": a leader paused past the lease still believes
// it leads until its renewal fails. The token is LeaderTransitions at
// acquisition; fencing, when on, is enforced by the store.
type LeaseElector struct {
	cfg LeaseConfig
	id  int32
	rng *rand.Rand

	observed     state.LeaseRecord
	observedTime sim.Time
	leading      bool
	deadline     sim.Time // end of the current renewal poll
	op           electOp
	writing      state.LeaseRecord
}

type electOp uint8

const (
	opIdle electOp = iota
	opFastPut
	opGet
	opPut
)

// NewLeaseElector returns an elector for member id; rng draws its jitter.
func NewLeaseElector(cfg LeaseConfig, id int32, rng *rand.Rand) *LeaseElector {
	return &LeaseElector{cfg: cfg, id: id, rng: rng, observed: state.LeaseRecord{Holder: -1}}
}

func (e *LeaseElector) clock(now state.LocalTime) sim.Time {
	if e.cfg.ExpiryFromRecord {
		return now.Wall
	}
	return now.Mono
}

func (e *LeaseElector) isLeader() bool { return e.observed.Holder == e.id }

// leaseValid is client-go's isLeaseValid on this candidate's clock.
func (e *LeaseElector) leaseValid(now state.LocalTime) bool {
	if e.cfg.ExpiryFromRecord {
		return e.observed.RenewTime+e.observed.LeaseDuration > now.Wall
	}
	return e.observedTime+e.observed.LeaseDuration > now.Mono
}

// Step implements state.Elector.
func (e *LeaseElector) Step(now state.LocalTime, ev state.ElectionEvent, out []state.ElectionAction) []state.ElectionAction {
	switch ev.Kind {
	case state.ElectStart:
		return e.attempt(now, out)
	case state.ElectTimer:
		if e.op != opIdle {
			return out
		}
		if e.leading && now.Mono >= e.deadline && e.deadline > 0 && !e.cfg.NoStepDown {
			return e.lose(now, out)
		}
		return e.attempt(now, out)
	case state.ElectRead:
		if e.op != opGet {
			return out
		}
		if !ev.OK {
			return e.failed(now, out) // error retrieving the lease
		}
		rec := ev.Record
		mine := state.LeaseRecord{Holder: e.id, LeaseDuration: e.cfg.LeaseDuration, RenewTime: now.Wall, AcquireTime: now.Wall}
		if rec.Revision == 0 { // not found: create it
			e.op, e.writing = opPut, mine
			return append(out, state.ElectionAction{Kind: state.ElectPut, Record: mine})
		}
		if rec.Revision != e.observed.Revision {
			e.observed, e.observedTime = rec, e.clock(now)
		}
		if e.leading && e.cfg.NoStepDown && rec.Holder >= 0 && rec.Holder != e.id {
			return e.lose(now, out) // it learns it was deposed only now
		}
		if rec.Holder >= 0 && e.leaseValid(now) && !e.isLeader() {
			return e.failed(now, out) // lock is held by another and has not yet expired
		}
		if e.isLeader() {
			mine.AcquireTime, mine.Transitions = rec.AcquireTime, rec.Transitions
		} else {
			mine.Transitions = rec.Transitions + 1
		}
		mine.Revision = rec.Revision
		e.op, e.writing = opPut, mine
		return append(out, state.ElectionAction{Kind: state.ElectPut, Record: mine})
	case state.ElectWritten:
		switch e.op {
		case opFastPut:
			if !ev.OK { // "Failed to update lock optimistically, falling back to slow path"
				e.op = opGet
				return append(out, state.ElectionAction{Kind: state.ElectGet})
			}
		case opPut:
			if !ev.OK {
				return e.failed(now, out)
			}
		default:
			return out
		}
		e.observed, e.observedTime = ev.Record, e.clock(now)
		return e.succeeded(now, out)
	}
	return out
}

// attempt starts tryAcquireOrRenew. A leader's attempt with no renewal poll
// under way starts one, which must succeed within RenewDeadline.
func (e *LeaseElector) attempt(now state.LocalTime, out []state.ElectionAction) []state.ElectionAction {
	if e.leading && e.deadline == 0 {
		e.deadline = now.Mono + e.cfg.RenewDeadline
	}
	if e.isLeader() && e.leaseValid(now) {
		rec := state.LeaseRecord{Holder: e.id, LeaseDuration: e.cfg.LeaseDuration, RenewTime: now.Wall,
			AcquireTime: e.observed.AcquireTime, Transitions: e.observed.Transitions, Revision: e.observed.Revision}
		e.op, e.writing = opFastPut, rec
		return append(out, state.ElectionAction{Kind: state.ElectPut, Record: rec})
	}
	e.op = opGet
	return append(out, state.ElectionAction{Kind: state.ElectGet})
}

func (e *LeaseElector) succeeded(now state.LocalTime, out []state.ElectionAction) []state.ElectionAction {
	e.op = opIdle
	if !e.leading {
		e.leading = true
		out = append(out, state.ElectionAction{Kind: state.ElectLead, Token: e.observed.Transitions})
		// renew's wait.Until runs its first iteration at once.
		e.deadline = 0
		return e.attempt(now, out)
	}
	// The renewal poll succeeded: the next one starts RetryPeriod later.
	e.deadline = 0
	return append(out, state.ElectionAction{Kind: state.ElectSetTimer, After: e.cfg.RetryPeriod})
}

func (e *LeaseElector) failed(now state.LocalTime, out []state.ElectionAction) []state.ElectionAction {
	e.op = opIdle
	if !e.leading {
		wait := e.cfg.RetryPeriod + sim.Time(e.cfg.JitterFactor*e.rng.Float64()*float64(e.cfg.RetryPeriod))
		return append(out, state.ElectionAction{Kind: state.ElectSetTimer, After: wait})
	}
	// The poll tries again every RetryPeriod until its context's deadline;
	// at the deadline it gives up.
	left := e.deadline - now.Mono
	if e.cfg.NoStepDown {
		return append(out, state.ElectionAction{Kind: state.ElectSetTimer, After: e.cfg.RetryPeriod})
	}
	if left <= 0 {
		return e.lose(now, out)
	}
	return append(out, state.ElectionAction{Kind: state.ElectSetTimer, After: min(e.cfg.RetryPeriod, left)})
}

// lose is a renewal that failed for RenewDeadline: stop leading and start
// over as a fresh candidate (a restarted controller process).
func (e *LeaseElector) lose(now state.LocalTime, out []state.ElectionAction) []state.ElectionAction {
	e.leading = false
	e.deadline = 0
	e.observed, e.observedTime = state.LeaseRecord{Holder: -1}, 0
	out = append(out, state.ElectionAction{Kind: state.ElectResign})
	return e.attempt(now, out)
}
