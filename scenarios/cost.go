package scenarios

import (
	"fmt"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Cost is an estimate, made before running, of what a scenario will take:
// how many requests and events its runs simulate and how much memory they
// hold. It errs high; it exists to refuse runs that cannot finish or fit,
// not to predict run time.
type Cost struct {
	Runs     int     // strategies × replications
	Requests float64 // generated requests, all runs
	Events   float64 // simulated events, all runs
	Memory   float64 // bytes held at the peak: every run's series plus the live worlds
	Buckets  float64 // time-series buckets of one run
	Backlog  float64 // requests left waiting in unbounded queues by overload, one run
}

// Budget is what a run may cost before it is refused; a zero field is
// unlimited. DefaultBudget is what tangle allows without --allow-large.
type Budget struct {
	Events float64
	Memory float64 // bytes
}

// DefaultBudget allows runs of some minutes on a laptop: 2·10⁹ events
// (a few minutes per core at tangle's few million events per second) and
// 4 GiB of memory.
var DefaultBudget = Budget{Events: 2e9, Memory: 4 << 30}

// Calibration of the estimate, measured on the built-ins: a request costs
// 2 to 5 events in most, up to 24 where a control loop runs per request
// (hot-loop, quorum-lag); eventsPerRequest is a generous middle.
const (
	eventsPerRequest = 8
	bytesPerBucket   = 8 * 3 // one float64 per column, with slack for growth
	bytesPerReplica  = 4 << 10
	bytesPerEndpoint = 64  // one caller's view of one replica
	bytesPerRequest  = 512 // a request waiting in a queue
)

// Cost estimates running sc with reps replications (0: the scenario's)
// and workers runs at once (0 or less: one).
func (sc *Scenario) Cost(reps, workers int) Cost {
	if reps <= 0 {
		reps = sc.Replications
	}
	workers = max(workers, 1)
	c := Cost{Runs: len(sc.Strategies) * reps}
	horizon := sc.Duration.T()
	perRun := 0.0
	for i := range sc.Topology.Clients {
		perRun += requestsOf(sc.Topology.Clients[i].profile(), horizon)
	}
	replicas, callers := 0.0, 0.0
	for _, s := range sc.Topology.Services {
		replicas += float64(s.pool())
	}
	for _, e := range sc.Topology.Edges {
		replicas += float64(e.Replicas)
	}
	for _, cl := range sc.Topology.Clients {
		callers += float64(cl.Callers)
	}
	events := perRun * eventsPerRequest
	if iv := sc.Topology.Telemetry.Interval.T(); iv > 0 {
		events += replicas * float64(horizon) / float64(iv)
	}
	c.Buckets = float64(horizon) / float64(max(sc.seriesInterval(), 1))
	events += c.Buckets
	columns := 16 + replicas + float64(len(sc.Topology.Services))
	runs := float64(c.Runs)
	c.Requests = perRun * runs
	c.Events = events * runs
	// Requests beyond a service's capacity wait in its queues when they
	// are unbounded: the backlog grows for the whole run.
	backlog := 0.0
	for _, s := range sc.Topology.Services {
		mean := 0.0
		if s.ServiceTime != nil && s.ServiceTime.Dist != nil {
			mean = s.ServiceTime.Mean()
		}
		if s.Queue != QueueCap(topology.Unbounded) || !(mean > 0) {
			continue
		}
		capacity := float64(s.Replicas) * float64(s.Concurrency) / mean
		offered := 0.0
		for i, cl := range sc.Topology.Clients {
			if cl.Target == s.Name {
				offered += requestsOf(sc.Topology.Clients[i].profile(), horizon) / max(horizon.Seconds(), 1e-9)
			}
		}
		if offered > capacity {
			backlog += (offered - capacity) * horizon.Seconds()
		}
	}
	world := replicas*bytesPerReplica + callers*replicas*bytesPerEndpoint + backlog*bytesPerRequest
	c.Memory = runs*c.Buckets*columns*bytesPerBucket + float64(min(workers, c.Runs))*world
	c.Backlog = backlog
	return c
}

// requestsOf integrates a piecewise-linear rate profile over [0, horizon].
func requestsOf(p topology.RateProfile, horizon sim.Time) float64 {
	total := 0.0
	for i, pt := range p {
		if pt.At >= horizon {
			break
		}
		end, endRate := horizon, pt.Rate
		if i+1 < len(p) {
			end, endRate = min(p[i+1].At, horizon), p[i+1].Rate
		}
		if end > pt.At {
			total += (pt.Rate + endRate) / 2 * (end - pt.At).Seconds()
		}
	}
	return total
}

// Check returns an error saying what to change when the cost exceeds b,
// or nil.
func (c Cost) Check(b Budget, sc *Scenario) error {
	var over []string
	if b.Events > 0 && c.Events > b.Events {
		over = append(over, fmt.Sprintf("about %.2g events (%.2g requests over %d run%s; the most allowed is %.2g)", c.Events, c.Requests, c.Runs, plural(c.Runs), b.Events))
	}
	if b.Memory > 0 && c.Memory > b.Memory {
		over = append(over, fmt.Sprintf("about %s of memory (the most allowed is %s)", FormatBytes(c.Memory), FormatBytes(b.Memory)))
	}
	if len(over) == 0 {
		return nil
	}
	var fix []string
	if c.Events > b.Events {
		fix = append(fix, "lower the clients' rates", "shorten duration", "run fewer replications or strategies")
	}
	if b.Memory > 0 && c.Memory > b.Memory {
		if c.Buckets > 1e5 {
			fix = append(fix, fmt.Sprintf("widen series_interval (%.2g buckets per run)", c.Buckets))
		}
		if c.Backlog > 1e6 {
			fix = append(fix, fmt.Sprintf("bound the queues (queue: 1000) or add capacity: overload leaves about %.2g requests waiting", c.Backlog))
		}
		fix = append(fix, "use fewer replicas or callers", "run fewer replications")
	}
	return &Error{File: sc.Source, Msg: fmt.Sprintf("this run would take %s", strings.Join(over, " and ")), Hint: strings.Join(fix, ", ")}
}

// FormatBytes renders a byte count with a binary unit: "3.2 GiB".
func FormatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.3g %s", b, units[i])
}
