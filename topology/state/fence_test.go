package state

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// noElector is an elector that never acts: the test sets the lease itself.
type noElector struct{}

func (noElector) Step(LocalTime, ElectionEvent, []ElectionAction) []ElectionAction { return nil }

// TestFenceBoundary pins the fencing check at its boundary. client-go bumps
// LeaderTransitions each time the holder changes, so the holder's token
// equals the lease's and a leader deposed once is exactly one below: the
// store must accept the first and reject the second. Staleness is judged by
// the holder's identity, independently of the token, so an off-by-one in
// the comparison (token+1 < transitions, or token <= transitions) shows up
// as a stale write accepted or a holder's write rejected — before this test
// the accounting used the same comparison as the check and could not.
func TestFenceBoundary(t *testing.T) {
	w, _, _ := stateWorld(t, ChannelSpec{})
	s := Of(w)
	s.ctl.Elector = func(int32, *rand.Rand) Elector { return noElector{} }
	a, b := Identity(0, 1), Identity(1, 1)
	cases := []struct {
		name              string
		holder            int32
		transitions       uint64
		writer            int32
		token             uint64
		fencing           bool
		deposed, rejected bool
	}{
		{"first holder writes", a, 0, a, 0, true, false, false},
		{"holder after one transition", b, 1, b, 1, true, false, false},
		{"deposed once: token one below", b, 1, a, 0, true, true, true},
		{"re-elected member's new process", Identity(0, 2), 2, Identity(0, 2), 2, true, false, false},
		{"old process of a re-elected member", Identity(0, 2), 2, a, 0, true, true, true},
		{"deposed once, no fencing", b, 1, a, 0, false, true, false},
		{"holder, no fencing", b, 1, b, 1, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.ctl.Fencing = c.fencing
			s.store.lease.Holder, s.store.lease.Transitions = c.holder, c.transitions
			before := s.Stats
			deposed, rejected := s.Fence(c.writer, c.token)
			assert.Equal(t, c.deposed, deposed, "deposed")
			assert.Equal(t, c.rejected, rejected, "rejected")
			accepted := s.Stats.StaleAccepted - before.StaleAccepted
			fenced := s.Stats.StaleRejected - before.StaleRejected
			assert.Equal(t, b2u(c.deposed && !c.rejected), accepted, "stale writes accepted")
			assert.Equal(t, b2u(c.rejected), fenced, "writes rejected")
		})
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
