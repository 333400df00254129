package topology

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
)

// SetEjected marks replica rep as ejected (or no longer ejected) from
// caller c's point of view: c's pickers see it as unhealthy. Outlier
// detection and similar per-decider guards use it.
func (w *World) SetEjected(c *Caller, rep *Replica, ejected bool) {
	if c.isEjected(rep.Index) == ejected {
		return
	}
	if c.ejected == nil {
		c.ejected = make([]bool, len(rep.Service.Replicas))
	}
	c.ejected[rep.Index] = ejected
	if rep.State != Down && !c.excluded(rep.Index) && !rep.off {
		if ejected {
			c.healthy[rep.Cluster]--
		} else {
			c.healthy[rep.Cluster]++
		}
	}
	w.healthGen++
}

// Crash takes rep down (see SetState) until the returned restart function
// is called. Crashes and pauses nest, so overlapping faults compose: the
// replica is down while any crash holds it, paused while any pause and no
// crash does, and up otherwise. Calling restart twice is a no-op.
func (w *World) Crash(rep *Replica) (restart func()) {
	rep.crashes++
	w.settle(rep)
	return Once(func() { rep.crashes--; w.settle(rep) })
}

// Pause stalls rep (see SetState) until the returned resume function is
// called; pauses nest with crashes as Crash describes.
func (w *World) Pause(rep *Replica) (resume func()) {
	rep.pauses++
	w.settle(rep)
	return Once(func() { rep.pauses--; w.settle(rep) })
}

func (w *World) settle(rep *Replica) {
	switch {
	case rep.crashes > 0:
		w.SetState(rep, Down)
	case rep.pauses > 0:
		w.SetState(rep, Paused)
	default:
		w.SetState(rep, Up)
	}
}

// SetState moves rep to state s, with what that does to its work:
//
//   - Down (a crash): every queued and in-service attempt is lost; each
//     caller learns of it as a dropped attempt (connection reset) after the
//     return latency. Volatile state is gone: a later Up starts empty.
//   - Paused (a GC stall, SIGSTOP): service stops where it is; queued work
//     waits and new work is accepted into the queue.
//   - Up: from Paused, interrupted service resumes with the time it still
//     owed and the queue drains; from Down, the replica starts empty.
func (w *World) SetState(rep *Replica, s NodeState) {
	old := rep.State
	if old == s {
		return
	}
	now := w.Eng.Now()
	if (old == Down) != (s == Down) {
		d := 1
		if s == Down {
			d = -1
		} else {
			rep.UpSince = now
		}
		if !rep.off { // a replica not provisioned counts nowhere
			rep.Service.Up += d
			rep.Service.Clusters[rep.Cluster].Up += d
			for _, c := range rep.Service.callers {
				if !c.isEjected(rep.Index) && !c.excluded(rep.Index) {
					c.healthy[rep.Cluster] += d
				}
			}
		}
		w.healthGen++
	}
	rep.State = s
	switch s {
	case Down:
		rep.touch(now)
		for len(rep.serving) > 0 {
			idx := rep.serving[len(rep.serving)-1]
			rep.serving = rep.serving[:len(rep.serving)-1]
			j := &w.jobs.items[idx]
			w.Eng.Cancel(j.done)
			j.done = 0
			w.reply(makeRef(idx, w.jobs.gens[idx]), j, Dropped, CauseHostDown)
		}
		for rep.queue.len() > 0 {
			idx := rep.queue.pop()
			w.reply(makeRef(idx, w.jobs.gens[idx]), &w.jobs.items[idx], Dropped, CauseHostDown)
		}
	case Paused:
		for _, idx := range rep.serving {
			j := &w.jobs.items[idx]
			w.Eng.Cancel(j.done)
			j.done = 0
			j.left = j.finishAt - now
		}
	case Up:
		if old == Paused {
			serving := rep.serving
			rep.serving = nil
			for _, idx := range serving {
				j := &w.jobs.items[idx]
				w.startJob(rep, makeRef(idx, w.jobs.gens[idx]), j, j.left)
			}
		}
		w.serveQueue(rep)
	}
	for _, f := range w.stateFn {
		f(rep, old)
	}
}

// Degradation worsens a replica while a fault holds it. Degradations stack:
// extra latencies add, slowdowns multiply, error probabilities combine as
// independent failures, capacity losses multiply their remaining capacity.
type Degradation struct {
	ExtraLatency sim.Time // added to every service time
	Slowdown     float64  // service-time multiplier (values ≤ 1 mean none)
	ErrorRate    float64  // additional probability a served request fails, 0..1
	CapacityLoss float64  // fraction of service slots lost, 0..1
}

// Degrade applies d to rep until the returned revert function is called.
// Work already in service keeps its service time; new work sees d.
func (w *World) Degrade(rep *Replica, d Degradation) (revert func()) {
	p := &d
	rep.degr = append(rep.degr, p)
	rep.recompute()
	return Once(func() {
		for i, q := range rep.degr {
			if q == p {
				rep.degr = append(rep.degr[:i], rep.degr[i+1:]...)
				break
			}
		}
		rep.recompute()
		w.serveQueue(rep)
	})
}

// Warm starts a cold-start warm-up on rep now: service times are
// multiplied by 1 + factor·e^(−t/tau), t the time since now (a JVM or
// cache warming after a restart or scale-up). factor 0 cancels it.
func (w *World) Warm(rep *Replica, factor float64, tau sim.Time) {
	rep.coldFactor, rep.coldTau, rep.coldSince = factor, tau, w.Eng.Now()
}

// recompute folds the active degradations into the effective values.
func (r *Replica) recompute() {
	r.extra, r.slow, r.degrOK, r.capLeft = 0, 1, 1, 1
	for _, d := range r.degr {
		r.extra += d.ExtraLatency
		if d.Slowdown > 1 {
			r.slow *= d.Slowdown
		}
		r.degrOK *= 1 - d.ErrorRate
		r.capLeft *= 1 - d.CapacityLoss
	}
	// Slots beyond 2³¹−1 could never all be busy (jobs are indexed by
	// uint32 and live in memory): clamp rather than wrap.
	c := float64(r.Service.Spec.Concurrency)
	if r.capLeft < 1 {
		c = math.Round(c * r.capLeft)
	}
	r.conc = int32(min(c, math.MaxInt32))
}

// concurrency is the number of service slots the replica has now.
func (r *Replica) concurrency() int { return int(r.conc) }

// serviceTime turns a request's drawn work into its service time on this
// replica now: slowed, warmed up and delayed by the active faults.
func (r *Replica) serviceTime(work, now sim.Time) sim.Time {
	t := work
	f := r.slow
	if r.coldFactor > 0 && r.coldTau > 0 {
		f *= 1 + r.coldFactor*math.Exp(-float64(now-r.coldSince)/float64(r.coldTau))
	}
	if f != 1 {
		t = sim.Time(float64(t) * f)
	}
	return t + r.extra
}

// SetCallerRoute makes w the routing weights caller c applies to the
// replicas of its target (indexed as Service.Replicas; nil restores the
// replicas' own weights). A weight of 0 excludes the replica. Pickers see
// the change through Endpoints.Weight and Healthy, and Generation changes.
// Cost O(replicas).
func (w *World) SetCallerRoute(c *Caller, weights []float64) {
	svc := c.Client.Target
	if weights == nil {
		c.route = nil
	} else {
		c.route = append(c.route[:0], weights...)
	}
	if c.routeOut == nil {
		c.routeOut = make([]int, len(svc.Clusters))
	}
	w.recount(c)
	w.healthGen++
}

// SetEdgeRoute makes w the routing weights edge e applies to the clusters
// of its target (nil restores weighting by replica count); a weight of 0
// excludes the cluster.
func (w *World) SetEdgeRoute(e *Edge, weights []float64) {
	if weights == nil {
		e.route = nil
	} else {
		e.route = append(e.route[:0], weights...)
	}
	w.healthGen++
}

// Route is the routing weights caller c applies now (nil: none).
func (c *Caller) Route() []float64 { return c.route }

// Route is the routing weights edge e applies now (nil: none).
func (e *Edge) Route() []float64 { return e.route }

type scaleToZero struct {
	after, cold sim.Time
}

// ScaleToZero makes rep behave as a serverless instance until the returned
// function is called: when it has had nothing in service for longer than
// idle, it is scaled to zero and the next job to begin service there first
// waits cold (a cold start: the platform starts an instance and runs the
// function's initialisation). Settings nest; the latest applies.
func (w *World) ScaleToZero(rep *Replica, idle, cold sim.Time) (revert func()) {
	p := &scaleToZero{after: idle, cold: cold}
	rep.idle = append(rep.idle, p)
	return Once(func() { rep.idle = Without(rep.idle, p) })
}
