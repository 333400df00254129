package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// These tests pin OutlierDetector to what envoyproxy/envoy
// source/common/upstream/outlier_detection_impl.cc does (DetectorImpl::
// onConsecutiveErrorWorker, ejectHost, onIntervalTimer), where the docs
// leave it open.

// TestOutlierDetectionResetsCounter: every detection resets the
// consecutive-5xx counter, capped or not enforced, so a host that keeps
// failing is detected again every consecutive_5xx failures
// (onConsecutiveErrorWorker calls resetConsecutive5xx after ejectHost
// whatever it did).
func TestOutlierDetectionResetsCounter(t *testing.T) {
	t.Run("capped", func(t *testing.T) {
		env := newEnv(3) // strict 10 % of 3 hosts: no ejection allowed
		d := NewOutlierDetector(outlierDefaults(t, nil), env, sim.NewStream(1, "od"))
		for i := 0; i < 5; i++ {
			d.Observe(0, 0, 0, topology.Error)
		}
		if env.ejected[0] || d.hosts[0].consecutive != 0 {
			t.Fatalf("capped detection: ejected %v, counter %d; want not ejected, counter reset", env.ejected[0], d.hosts[0].consecutive)
		}
	})
	t.Run("not enforced", func(t *testing.T) {
		env := newEnv(1)
		d := NewOutlierDetector(outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0, "enforcing_consecutive_5xx": 0.3}), env, sim.NewStream(1, "od"))
		n := 0
		for !env.ejected[0] && n < 1000 {
			d.Observe(0, 0, 0, topology.Error)
			n++
		}
		// Each run of 5 failures is a detection enforced with probability
		// 0.3: a host failing on is ejected after a few runs. Without the
		// reset, a first detection that is not enforced leaves the counter
		// past 5 and the host is never ejected again until it succeeds once.
		if !env.ejected[0] || n%5 != 0 {
			t.Fatalf("after %d failures: ejected %v; want an ejection at a multiple of 5", n, env.ejected[0])
		}
	})
}

// TestOutlierSweepsBeforeDecay: onIntervalTimer runs the success-rate
// sweep before decrementing the multiplier, so a host re-ejected by the
// sweep an interval after its un-ejection keeps its multiplier and its
// second ejection lasts 2 × base.
func TestOutlierSweepsBeforeDecay(t *testing.T) {
	env := newEnv(10)
	cfg := outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0})
	d := NewOutlierDetector(cfg, env, sim.NewStream(1, "od"))
	for i := 0; i < 5; i++ {
		d.Observe(0, 0, 0, topology.Error) // k = 1, 30 s
	}
	d.Tick(10 * sim.Second)
	d.Tick(20 * sim.Second)
	d.Tick(30 * sim.Second) // lifted
	if env.ejected[0] {
		t.Fatal("still ejected at 30 s")
	}
	// The next interval: host 0 at 50 % success among nine healthy hosts.
	for h := 0; h < 10; h++ {
		for i := 0; i < 100; i++ {
			o := topology.Success
			if h == 0 && i%2 == 0 {
				o = topology.Error
			}
			d.Observe(35*sim.Second, h, 0, o)
		}
	}
	d.Tick(40 * sim.Second)
	if !env.ejected[0] || d.Multiplier(0) != 2 {
		t.Fatalf("success-rate ejection at 40 s: ejected %v, k %d; want ejected with k 2", env.ejected[0], d.Multiplier(0))
	}
	if got := d.hosts[0].until - 40*sim.Second; got != 60*sim.Second {
		t.Fatalf("second ejection lasts %v, want 60s", got)
	}
}

// TestOutlierMultiplierStopsGrowing: ejectHost raises the multiplier only
// while k × base < max + base — 11 with base 30 s and max 300 s — so a
// host ejected twenty times recovers k = 0 after 11 healthy intervals, not
// 20.
func TestOutlierMultiplierStopsGrowing(t *testing.T) {
	env := newEnv(1)
	cfg := outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0})
	d := NewOutlierDetector(cfg, env, sim.NewStream(1, "od"))
	now := sim.Time(0)
	for e := 0; e < 20; e++ {
		for i := 0; i < 5; i++ {
			d.Observe(now, 0, 0, topology.Error)
		}
		for env.ejected[0] {
			now += cfg.Interval
			d.Tick(now)
		}
	}
	if k := d.Multiplier(0); k != 11 {
		t.Fatalf("k after 20 ejections = %d, want 11 (11 × 30 s ≥ 300 s + 30 s)", k)
	}
	healthy := 0
	for d.Multiplier(0) > 0 {
		now += cfg.Interval
		d.Tick(now)
		healthy++
	}
	if healthy != 11 {
		t.Fatalf("k reached 0 after %d healthy intervals, want 11", healthy)
	}
}
