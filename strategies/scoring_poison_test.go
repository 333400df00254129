package strategies

import (
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/routectl"
)

// The seed's F6 mitigations must stop poisoning and leave honest signals
// alone.

// TestScoringAgreementCatchesZeroLatency: an exporter stuck at 0 s
// latency while the clients measure 100 ms round trips disagrees; it used
// to pass because the check skipped zero readings.
func TestScoringAgreementCatchesZeroLatency(t *testing.T) {
	cfg := scoringCfg()
	cfg.Agreement = 0.1
	e := NewScoring(cfg)
	o := obs(0, []float64{0, 0.1}, []float64{0, 0})
	o.Targets[0].Seen = routectl.Seen{Requests: 100, Latency: 0.1}
	o.Targets[1].Seen = routectl.Seen{Requests: 100, Latency: 0.1}
	if d := decide(e, o); d.Rejected != 1 || !strings.Contains(d.Note, "disagrees with the clients' round trip") {
		t.Fatalf("constant-0 latency passed the agreement check: %+v", d)
	}
}

// TestScoringMaxChangeRebaselines: a latency that jumps tenfold and stays
// there (a real brownout) is held back for two readings and accepted on
// the third; a one-reading spike never is.
func TestScoringMaxChangeRebaselines(t *testing.T) {
	cfg := scoringCfg()
	cfg.MaxChange, cfg.Rebaseline = 2, 3
	e := NewScoring(cfg)
	decide(e, obs(0, []float64{0.1, 0.1}, []float64{0, 0}))
	if d := decide(e, obs(sim.Second, []float64{5, 0.1}, []float64{0, 0})); d.Rejected != 1 {
		t.Fatalf("a spike should be rejected: %+v", d)
	}
	decide(e, obs(2*sim.Second, []float64{0.1, 0.1}, []float64{0, 0})) // back to normal
	var d *routectl.Decision
	for i := 0; i < 3; i++ {
		d = decide(e, obs(sim.Time(3+i)*sim.Second, []float64{1.0, 0.1}, []float64{0, 0}))
		if want := i < 2; (d.Rejected == 1) != want {
			t.Fatalf("brownout reading %d: rejected %d, want rejected %v", i+1, d.Rejected, want)
		}
	}
	if !(d.Weights[0] < 0.1) {
		t.Fatalf("after re-baselining the slow target should lose its traffic: %v", d.Weights)
	}
	// Without re-baselining every later reading is compared with the last
	// accepted one, so the brownout is locked out for good.
	cfg.Rebaseline = 0
	e = NewScoring(cfg)
	decide(e, obs(0, []float64{0.1, 0.1}, []float64{0, 0}))
	for i := 0; i < 10; i++ {
		d = decide(e, obs(sim.Time(1+i)*sim.Second, []float64{1.0, 0.1}, []float64{0, 0}))
	}
	if d.Rejected != 1 {
		t.Fatalf("rebaseline 0 should keep rejecting: %+v", d)
	}
}

// TestScoringLastKnownGoodIsClean: after readings were rejected, falling
// back to last known good restores the weights of the last decision made
// on clean inputs, not the (poisoned) weights in effect.
func TestScoringLastKnownGoodIsClean(t *testing.T) {
	cfg := scoringCfg()
	cfg.TTL, cfg.Bounds = 5*sim.Second, true
	e := NewScoring(cfg)
	clean := decide(e, obs(0, []float64{0.1, 0.3}, []float64{0, 0}))
	o := obs(sim.Second, []float64{0.1, 0.3}, []float64{3, 0}) // a poisoned reading, rejected
	o.Current = clean.Weights
	decide(e, o)
	o = obs(20*sim.Second, []float64{0.1, 0.3}, []float64{0, 0})
	o.Targets[1].Emitted = 10 * sim.Second // stale
	o.Current = []float64{0, 1}            // what a poisoned decision left in effect
	d := decide(e, o)
	if d.Fallback != "last-known-good" || d.Hold || !close9(d.Weights[0], clean.Weights[0]) {
		t.Fatalf("LKG should restore the clean weights %v, got %+v", clean.Weights, d)
	}
}
