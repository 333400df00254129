package topology

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// Guard protects one caller sidecar: it may refuse an attempt before it is
// sent (circuit breakers, concurrency limits) and hears how every attempt
// went (outlier detection). Each caller has its own guards, as each Envoy
// keeps its own breakers and outlier state. Host numbers are indices into
// the target service's replicas, stable for the run.
type Guard interface {
	// Admit reports whether an attempt to host may be sent now; false fails
	// it locally (an overflow 503: Rejected, CauseCircuitOpen), and it is
	// not retried.
	Admit(now sim.Time, host int) bool
	// Observe hears the result of an attempt to host, rtt after it was sent.
	Observe(now sim.Time, host int, rtt sim.Time, o Outcome)
}

// Ticker is an optional Guard ability: Tick runs every Interval (outlier
// detection's evaluation interval).
type Ticker interface {
	Interval() sim.Time
	Tick(now sim.Time)
}

// GuardEnv is what a guard may see and do: its caller's view of the
// target's hosts. It is the only way a guard acts on the world.
type GuardEnv interface {
	// Hosts is the number of hosts (replicas of the target service).
	Hosts() int
	// Eject makes host unhealthy for this caller's pickers (or restores it).
	Eject(host int, ejected bool)
	// Ejected reports whether this caller has ejected host.
	Ejected(host int) bool
	// Active is the caller's outstanding attempts, over all hosts.
	Active() int
}

// NewGuard makes one guard for one caller, given its environment and its
// own random stream.
type NewGuard func(env GuardEnv, rng *rand.Rand) Guard

// guardEnv is a caller's GuardEnv.
type guardEnv struct {
	w *World
	c *Caller
}

func (e guardEnv) Hosts() int            { return e.c.inflight.n }
func (e guardEnv) Ejected(host int) bool { return e.c.isEjected(int32(host)) }
func (e guardEnv) Active() int           { return e.c.active }
func (e guardEnv) Eject(host int, ejected bool) {
	e.w.SetEjected(e.c, e.c.Client.Target.Replicas[host], ejected)
}
