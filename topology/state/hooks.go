package state

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// The state model's hooks on the world (see topology.Layer), and its own
// per-request and per-attempt tables, indexed by the core's slots
// (topology.Ref.Slot): what data operation a request performs and what
// state served it.
type requestTables struct {
	reqData   []DataOp // by request slot: the request's data operation
	reqServed []Served // by request slot: the state that served its answering attempt
	jobData   []DataOp // by attempt slot: the data operation it carries
	jobServed []Served // by attempt slot: the state that served it
}

// growTo makes table t long enough to hold slot i.
func growTo[T any](t []T, i int) []T {
	if i < len(t) {
		return t
	}
	return append(t, make([]T, i+1-len(t))...)
}

// Of returns the state model attached to w, or nil when w has none.
func Of(w *topology.World) *State {
	for _, l := range w.Layers() {
		if s, ok := l.(*State); ok {
			return s
		}
	}
	return nil
}

// ServedBy is the state that served request r's answering attempt (its
// zero value when none answered). Valid while r lives, which includes the
// observers' RequestEnded calls.
func (s *State) ServedBy(r *topology.Request) Served { return s.reqServed[r.Ref().Slot()] }

// DataOf is request r's data operation (Kind DataNone when it has none).
func (s *State) DataOf(r *topology.Request) DataOp { return s.reqData[r.Ref().Slot()] }

// Arrived clears the request's entries and draws its data operation when
// its client has a data workload (the Arriver hook).
func (s *State) Arrived(c *topology.Client, r *topology.Request) {
	i := r.Ref().Slot()
	s.reqData, s.reqServed = growTo(s.reqData, i), growTo(s.reqServed, i)
	s.reqData[i], s.reqServed[i] = DataOp{}, Served{}
	if s.data != nil {
		s.data.drawData(c, r)
	}
}

// Sent gives the attempt its request's data operation (the Sender hook).
func (s *State) Sent(job topology.Ref, r *topology.Request) {
	i := job.Slot()
	s.jobData, s.jobServed = growTo(s.jobData, i), growTo(s.jobServed, i)
	s.jobData[i], s.jobServed[i] = s.reqData[r.Ref().Slot()], Served{}
}

// Answered records what served the request's answering attempt (the
// Answerer hook).
func (s *State) Answered(job topology.Ref, r *topology.Request) {
	s.reqServed[r.Ref().Slot()] = s.jobServed[job.Slot()]
}

// Finished starts the data operation of a served attempt that has one; the
// reply waits for it (the Finisher hook).
func (s *State) Finished(rep *topology.Replica, job topology.Ref, j *topology.Job) bool {
	if s.data == nil || s.jobData[job.Slot()].Kind == DataNone {
		return false
	}
	s.data.begin(rep, job, j)
	return true
}

// Responded feeds the routing control plane's client-side view (the
// Responder hook).
func (s *State) Responded(j *topology.Job, rep *topology.Replica, rtt sim.Time, o topology.Outcome) {
	if s.rt != nil && s.rt.clientSeen != nil {
		s.rt.responded(j, rep, rtt, o)
	}
}
