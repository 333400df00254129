package state

import (
	"github.com/tangle-sim/tangle/topology"
)

// The state model's hooks on the world (see topology.Layer), and its own
// per-request and per-attempt tables, indexed by the core's slots
// (topology.Ref.Slot): what state served a request.
type requestTables struct {
	reqServed []Served // by request slot: the state that served its answering attempt
	jobServed []Served // by attempt slot: the state that served it
}

// GrowTo makes table t long enough to hold slot i: layers keep tables by
// the core's slots and grow them as the core's arenas grow.
func GrowTo[T any](t []T, i int) []T {
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

// Arrived clears the request's entry (the Arriver hook).
func (s *State) Arrived(c *topology.Client, r *topology.Request) {
	i := r.Ref().Slot()
	s.reqServed = GrowTo(s.reqServed, i)
	s.reqServed[i] = Served{}
}

// Sent clears the attempt's entry (the Sender hook).
func (s *State) Sent(job topology.Ref, r *topology.Request) {
	i := job.Slot()
	s.jobServed = GrowTo(s.jobServed, i)
	s.jobServed[i] = Served{}
}

// Answered records what served the request's answering attempt (the
// Answerer hook).
func (s *State) Answered(job topology.Ref, r *topology.Request) {
	s.reqServed[r.Ref().Slot()] = s.jobServed[job.Slot()]
}
