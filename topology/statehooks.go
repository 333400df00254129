package topology

import "github.com/tangle-sim/tangle/sim"

// The state model's hooks on the world (see layer.go). Start and Served are
// in state.go.

// Arrived draws the request's data operation when its client has a data
// workload (the Arriver hook).
func (s *State) Arrived(c *Client, r *Request) {
	if s.data != nil {
		s.data.drawData(c, r)
	}
}

// Finished starts the data operation of a served attempt that has one; the
// reply waits for it (the Finisher hook).
func (s *State) Finished(rep *Replica, ref Ref, j *Job) bool {
	if j.Data.Kind == DataNone || s.data == nil {
		return false
	}
	s.data.begin(rep, ref, j)
	return true
}

// Responded feeds the routing control plane's client-side view (the
// Responder hook).
func (s *State) Responded(j *Job, rep *Replica, rtt sim.Time, o Outcome) {
	if s.rt != nil && s.rt.clientSeen != nil {
		s.rt.responded(j, rep, rtt, o)
	}
}
