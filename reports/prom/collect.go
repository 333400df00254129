package prom

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Config sets how a Collector scrapes a run.
type Config struct {
	// Scrape is the scrape interval in simulated time; 0 means 15s (the
	// scrape_interval of Prometheus's example configuration).
	Scrape sim.Time
	// Namespace is the Kubernetes namespace the services live in; empty
	// means "default".
	Namespace string
}

// DefaultScrape is the scrape interval when Config.Scrape is 0.
const DefaultScrape = 15 * sim.Second

// DurationBuckets are the upper bounds, in milliseconds, of
// istio_request_duration_milliseconds: Envoy's default histogram buckets
// (envoy source/common/stats/histogram_impl.cc,
// HistogramSettingsImpl::defaultBuckets), which Istio's sidecars use.
var DurationBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// Response is how a request's end shows in Istio's metrics: the HTTP
// status its client saw and Envoy's response flags ("-" for none).
type Response struct {
	Code  int
	Flags string
}

// ResponseOf maps a request's outcome and cause to what an Envoy sidecar
// records (Envoy access-log response flags: UH no healthy upstream, UF
// upstream connection failure, UO upstream overflow, UT upstream request
// timeout, DC downstream connection termination).
func ResponseOf(o topology.Outcome, c topology.Cause) Response {
	if o == topology.Success {
		return Response{200, "-"}
	}
	switch c {
	case topology.CauseTimeout, topology.CauseTryTimeout:
		return Response{504, "UT"}
	case topology.CauseQueueFull, topology.CauseCircuitOpen:
		return Response{503, "UO"}
	case topology.CauseNoHost:
		return Response{503, "UH"}
	case topology.CauseHostDown:
		return Response{503, "UF"}
	case topology.CauseUnfinished:
		return Response{0, "DC"}
	case topology.CauseDataUnavailable:
		return Response{503, "-"}
	}
	return Response{500, "-"} // server errors, schema mismatches
}

type reqKey struct {
	client, service int32
	resp            Response
}

// point is one scrape of one request series: the counter and the
// histogram's cumulative state.
type point struct {
	count   uint64
	sumMs   float64
	buckets []uint64 // per DurationBuckets entry, not cumulative
}

type reqSeries struct {
	key reqKey
	cur point
	// at holds the value at each scrape; a series first seen after some
	// scrapes has zeros there (as if its counters were initialised at the
	// start, so rate() sees its first increments).
	at []point
}

// Collector observes one run's world as a Prometheus server scraping its
// sidecars and kube-state-metrics would. Memory grows with the number of
// scrapes times the number of series.
type Collector struct {
	w       *topology.World
	cfg     Config
	horizon sim.Time
	next    int // index of the next scrape to take

	byKey  map[reqKey]*reqSeries
	series []*reqSeries

	up   []int       // replicas available per service, as last seen
	upAt [][]float64 // per service, per scrape
}

// Attach makes a collector observe w for a run that ends at horizon. Call
// it before the world starts.
func Attach(w *topology.World, cfg Config, horizon sim.Time) *Collector {
	if cfg.Scrape <= 0 {
		cfg.Scrape = DefaultScrape
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	c := &Collector{w: w, cfg: cfg, horizon: horizon, byKey: map[reqKey]*reqSeries{}}
	c.up = make([]int, len(w.Services))
	c.upAt = make([][]float64, len(w.Services))
	for i, s := range w.Services {
		c.up[i] = s.Up
	}
	w.Observe(c)
	w.OnStateChange(c.stateChanged)
	return c
}

// scrapes is the number of scrape times in [0, horizon].
func (c *Collector) scrapes() int { return int(c.horizon/c.cfg.Scrape) + 1 }

// advance takes every scrape strictly before now, so what happens at now
// counts in the scrape at now.
func (c *Collector) advance(now sim.Time) {
	for c.next < c.scrapes() && sim.Time(c.next)*c.cfg.Scrape < now {
		c.take()
	}
}

func (c *Collector) take() {
	for _, s := range c.series {
		p := s.cur
		p.buckets = slices.Clone(s.cur.buckets)
		s.at = append(s.at, p)
	}
	for i, n := range c.up {
		c.upAt[i] = append(c.upAt[i], float64(n))
	}
	c.next++
}

// RequestEnded implements topology.Observer.
func (c *Collector) RequestEnded(now sim.Time, q *topology.Request) {
	if now > c.horizon {
		return
	}
	c.advance(now)
	cl := c.w.Clients[q.Client]
	k := reqKey{client: q.Client, service: int32(cl.Target.ID), resp: ResponseOf(q.Outcome, q.Cause)}
	s := c.byKey[k]
	if s == nil {
		s = &reqSeries{key: k, cur: point{buckets: make([]uint64, len(DurationBuckets))}}
		for range c.next {
			s.at = append(s.at, point{buckets: make([]uint64, len(DurationBuckets))})
		}
		c.byKey[k] = s
		c.series = append(c.series, s)
	}
	ms := float64(q.Latency()) / float64(sim.Millisecond)
	s.cur.count++
	s.cur.sumMs += ms
	if b, _ := slices.BinarySearch(DurationBuckets, ms); b < len(DurationBuckets) {
		s.cur.buckets[b]++
	}
}

func (c *Collector) stateChanged(rep *topology.Replica, _ topology.NodeState) {
	now := c.w.Eng.Now()
	if now > c.horizon {
		return
	}
	c.advance(now)
	c.up[rep.Service.ID] = rep.Service.Up
}

// Finish takes the scrapes left up to the horizon and returns the run's
// metrics; windows are the faults that fired (for tangle_fault_active).
// Call it once, after the world has drained.
func (c *Collector) Finish(windows []faults.Window) *Run {
	for c.next < c.scrapes() {
		c.take()
	}
	slices.SortFunc(c.series, func(a, b *reqSeries) int {
		return cmp.Or(cmp.Compare(a.key.client, b.key.client), cmp.Compare(a.key.service, b.key.service),
			cmp.Compare(a.key.resp.Code, b.key.resp.Code), cmp.Compare(a.key.resp.Flags, b.key.resp.Flags))
	})
	run := &Run{Scrape: c.cfg.Scrape, Times: make([]sim.Time, c.scrapes())}
	for k := range run.Times {
		run.Times[k] = sim.Time(k) * c.cfg.Scrape
	}
	ns := c.cfg.Namespace
	for _, s := range c.series {
		cl := c.w.Clients[s.key.client]
		svc := c.w.Services[s.key.service]
		labels := []Label{
			{"destination_service", fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, ns)},
			{"destination_service_name", svc.Name},
			{"destination_service_namespace", ns},
			{"destination_workload", svc.Name},
			{"destination_workload_namespace", ns},
			{"reporter", "source"},
			{"request_protocol", "http"},
			{"response_code", fmt.Sprint(s.key.resp.Code)},
			{"response_flags", s.key.resp.Flags},
			{"source_workload", cl.Name},
			{"source_workload_namespace", ns},
		}
		run.Requests = append(run.Requests, RequestSeries{Labels: labels, Points: toPoints(s.at)})
	}
	for i, svc := range c.w.Services {
		labels := []Label{{"deployment", svc.Name}, {"namespace", ns}}
		spec := make([]float64, len(run.Times))
		for k := range spec {
			spec[k] = float64(len(svc.Replicas))
		}
		run.Gauges = append(run.Gauges,
			GaugeSeries{Name: "kube_deployment_spec_replicas", Help: "Number of desired pods for a deployment.", Labels: labels, Values: spec},
			GaugeSeries{Name: "kube_deployment_status_replicas_available", Help: "The number of available replicas per deployment.", Labels: labels, Values: c.upAt[i]})
	}
	for _, win := range windows {
		v := make([]float64, len(run.Times))
		for k, t := range run.Times {
			if t >= win.Start && t < win.End {
				v[k] = 1
			}
		}
		labels := []Label{{"fault", fmt.Sprint(win.Index)}, {"kind", win.Kind}, {"target", win.Target}}
		run.Gauges = append(run.Gauges, GaugeSeries{Name: "tangle_fault_active", Help: "1 while the simulated fault is active (the incident's ground truth).", Labels: labels, Values: v})
	}
	return run
}

func toPoints(at []point) []Point {
	out := make([]Point, len(at))
	for k, p := range at {
		cum := make([]uint64, len(p.buckets))
		n := uint64(0)
		for b, x := range p.buckets {
			n += x
			cum[b] = n
		}
		out[k] = Point{Count: p.count, SumMs: p.sumMs, Buckets: cum}
	}
	return out
}

// Label is one label pair.
type Label struct{ Name, Value string }

// Point is one scrape of a request series: istio_requests_total and the
// duration histogram's count, sum (ms) and cumulative buckets (per
// DurationBuckets; the +Inf bucket is Count).
type Point struct {
	Count   uint64
	SumMs   float64
	Buckets []uint64
}

// RequestSeries is the request metrics of one label set over the run.
type RequestSeries struct {
	Labels []Label
	Points []Point // per scrape
}

// GaugeSeries is one gauge over the run.
type GaugeSeries struct {
	Name, Help string
	Labels     []Label
	Values     []float64 // per scrape
}

// Run is one run's metrics as scraped every Scrape from time 0 to the
// horizon: Times[k] is the k-th scrape's simulated time.
type Run struct {
	Scrape   sim.Time
	Times    []sim.Time
	Requests []RequestSeries
	Gauges   []GaugeSeries
}
