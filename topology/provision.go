package topology

// Provisioning: a service's Replicas are a fixed pool (every per-caller
// array keeps its size); an autoscaler provisions some of them. A replica
// that is not provisioned is not in the service's endpoints at all: no
// picker sees it (not even in panic), the panic threshold does not count
// it, Service.Up and Cluster.Up leave it out, and faults do not target it.
// Work it already has goes on: a replica being scaled down drains.

// Provisioned reports whether the replica is provisioned (see
// World.SetProvisioned).
func (r *Replica) Provisioned() bool { return !r.off }

// SetProvisioned adds rep to its service's endpoints (on) or takes it out
// (off). Taking it out stops new work from reaching it; what it has in
// service or queued still completes unless it is crashed. Adding it makes
// it a newly started host: UpSince is now (slow start eases it in).
// Pickers that apply the panic threshold themselves (PanicHandler) count
// every host of their view and may pick one not provisioned in panic;
// scenarios refuse them with pools. Cost O(callers of the service ×
// replicas).
func (w *World) SetProvisioned(rep *Replica, on bool) {
	if rep.off != on {
		return
	}
	now := w.Eng.Now()
	svc := rep.Service
	svc.provArea = svc.ReplicaSeconds(now)
	svc.provAt = now
	d := 1
	if !on {
		d = -1
	}
	rep.off = !on
	svc.Provisioned += d
	cl := &svc.Clusters[rep.Cluster]
	cl.Off -= d
	if rep.State != Down {
		svc.Up += d
		cl.Up += d
	}
	if on {
		rep.UpSince = now
	}
	for _, c := range svc.callers {
		w.recount(c)
	}
	w.healthGen++
}

// recount recomputes caller c's healthy hosts per cluster (and, once it
// has routing weights, the hosts they exclude) from scratch.
func (w *World) recount(c *Caller) {
	svc := c.Client.Target
	for ci := range svc.Clusters {
		up, out := 0, 0
		for _, h := range svc.Clusters[ci].Replicas {
			rep := svc.Replicas[h]
			switch {
			case rep.off: // counted nowhere
			case c.excluded(h):
				out++
			case rep.State != Down && !c.isEjected(h):
				up++
			}
		}
		c.healthy[ci] = up
		if c.routeOut != nil {
			c.routeOut[ci] = out
		}
	}
}

// unprovisioned is the number of the view's hosts not provisioned.
func (v *hostView) unprovisioned() int {
	if v.cluster >= 0 {
		return v.svc.Clusters[v.cluster].Off
	}
	return len(v.svc.Replicas) - v.svc.Provisioned
}

// Provisioned is the number of the target's hosts provisioned now: an
// optional GuardEnv ability (a guard capping ejections at a fraction of
// the cluster counts these, as Envoy counts the hosts EDS lists).
func (e guardEnv) Provisioned() int { return e.c.Client.Target.Provisioned }
