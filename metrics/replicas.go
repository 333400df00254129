package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// replicaDefs are the metrics of autoscaled services, reported per service
// (NAME:SERVICE) for the services with a pool of replicas (max_replicas).
var replicaDefs = []Def{
	{"replicas_mean", "replicas", Lower, "time-average number of provisioned (ready) replicas of one service over the window: what it cost, in replicas; reported as replicas_mean:SERVICE for services with max_replicas", "issue 11"},
	{"scale_events", "events", Lower, "times the service's autoscaler changed its desired replica count during the run (scaling churn), reported as scale_events:SERVICE for services with max_replicas", "issue 11"},
	{"activator_requests", "requests", Lower, "requests that waited at the Knative activator for a pod because the service had scaled to zero (each waited for a cold pod), over the run; 0 for a service that never scales to zero; reported as activator_requests:SERVICE for services with max_replicas", "issue 11; knative/serving activator"},
}

// ReplicaMetrics are the metrics reported per autoscaled service.
var ReplicaMetrics = []string{"replicas_mean", "scale_events", "activator_requests"}

// ReplicasColumn is the name of the series column of a service's
// replica count: the time-average of its provisioned replicas over each
// bucket.
func ReplicasColumn(service string) string { return "replicas:" + service }

// replicaStats records the replica count of the services in svcs.
type replicaStats struct {
	w        *topology.World
	cfg      Config
	svcs     []*topology.Service
	last     []float64 // ReplicaSeconds at the previous bucket end
	atWarmup []float64 // ReplicaSeconds at the warmup, and at the horizon
	atEnd    []float64
}

// RecordReplicas adds the replica-count series (replicas:SERVICE) and the
// metrics replicas_mean:SERVICE and scale_events:SERVICE of the services
// svcs to rec. Call it before the world starts.
func RecordReplicas(rec *Recorder, svcs []*topology.Service) {
	if len(svcs) == 0 {
		return
	}
	w := rec.w
	x := &replicaStats{w: w, cfg: rec.cfg, svcs: svcs, last: make([]float64, len(svcs)), atWarmup: make([]float64, len(svcs)), atEnd: make([]float64, len(svcs))}
	mark := w.Eng.Handle("metrics.replicas", func(arg uint64) {
		dst := x.atWarmup
		if arg == 1 {
			dst = x.atEnd
		}
		for i, s := range x.svcs {
			dst[i] = s.ReplicaSeconds(w.Eng.Now())
		}
	})
	w.Eng.At(rec.cfg.Warmup, topology.ClassObserve, mark, 0)
	w.Eng.At(rec.cfg.Horizon, topology.ClassObserve, mark, 1)
	rec.Extend(x)
}

// Columns implements Extension.
func (x *replicaStats) Columns() []Column {
	cols := make([]Column, len(x.svcs))
	for i, s := range x.svcs {
		cols[i] = Column{Name: ReplicasColumn(s.Name), Unit: "replicas"}
	}
	return cols
}

// Sample implements Extension.
func (x *replicaStats) Sample(now sim.Time, width float64, row []float64) []float64 {
	for i, s := range x.svcs {
		rs := s.ReplicaSeconds(now)
		v := math.NaN()
		if width > 0 {
			v = (rs - x.last[i]) / width
		}
		x.last[i] = rs
		row = append(row, v)
	}
	return row
}

// Summarize implements Extension.
func (x *replicaStats) Summarize(s Summary) {
	window := (x.cfg.Horizon - x.cfg.Warmup).Seconds()
	for i, svc := range x.svcs {
		q := ":" + svc.Name
		s["replicas_mean"+q] = (x.atEnd[i] - x.atWarmup[i]) / window
		s["scale_events"+q] = float64(max(x.w.ScaleEvents(svc), 0))
		held, _ := x.w.ActivatorRequests(svc)
		s["activator_requests"+q] = float64(held)
	}
}
