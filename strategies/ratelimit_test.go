package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// TestItemExponentialSequence checks client-go's DefaultControllerRateLimiter
// exponential part exactly as reconcile-slo.md §1.2 lists it: 5, 10, 20, …,
// 640 ms, 1.28 … 655.36 s, then 1000 s from the 19th failure on; Forget
// starts over.
func TestItemExponentialSequence(t *testing.T) {
	r := &ItemExponential{Base: 5 * sim.Millisecond, Max: 1000 * sim.Second}
	want := []float64{0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68, 655.36, 1000, 1000, 1000}
	for i, w := range want {
		if got := r.When(0, 7); got != sim.Seconds(w) {
			t.Fatalf("failure %d: delay %v, want %v", i+1, got, sim.Seconds(w))
		}
	}
	if r.NumRequeues(7) != len(want) {
		t.Fatalf("NumRequeues %d, want %d", r.NumRequeues(7), len(want))
	}
	if got := r.When(0, 8); got != 5*sim.Millisecond {
		t.Fatalf("another item starts at %v, want 5ms (failures are per item)", got)
	}
	r.Forget(7)
	if got := r.When(0, 7); got != 5*sim.Millisecond {
		t.Fatalf("after Forget: %v, want 5ms", got)
	}
	// 100 failures never overflow past the cap.
	for i := 0; i < 100; i++ {
		if got := r.When(0, 9); got > 1000*sim.Second {
			t.Fatalf("delay %v beyond the cap", got)
		}
	}
}

// TestBucketIsTokenBucket checks BucketRateLimiter (x/time/rate Reserve):
// a burst of 100 immediate retries, then one every 100 ms at 10 qps, and a
// refill of one token per 100 ms of quiet.
func TestBucketIsTokenBucket(t *testing.T) {
	b := &Bucket{QPS: 10, Burst: 100}
	for i := 0; i < 100; i++ {
		if d := b.When(0, int32(i)); d != 0 {
			t.Fatalf("retry %d of the burst waits %v", i+1, d)
		}
	}
	for k := 1; k <= 5; k++ {
		if d := b.When(0, 0); d != sim.Time(k)*100*sim.Millisecond {
			t.Fatalf("retry %d past the burst waits %v, want %v", 100+k, d, sim.Time(k)*100*sim.Millisecond)
		}
	}
	// After 10 s of quiet the deficit of 5 is repaid and 95 tokens are back.
	for i := 0; i < 95; i++ {
		if d := b.When(10*sim.Second, 0); d != 0 {
			t.Fatalf("after the refill retry %d waits %v", i+1, d)
		}
	}
	if d := b.When(10*sim.Second, 0); d != 100*sim.Millisecond {
		t.Fatalf("the 96th retry after the refill waits %v, want 100ms", d)
	}
}

// TestMaxOfDefault checks MaxOf(exponential, bucket): each failing item
// waits the longer of its own backoff and the shared bucket's.
func TestMaxOfDefault(t *testing.T) {
	r := DefaultControllerRateLimiter()
	// 100 distinct items fail once: the bucket lets them through, each at 5 ms.
	for i := 0; i < 100; i++ {
		if d := r.When(0, int32(i)); d != 5*sim.Millisecond {
			t.Fatalf("item %d: %v, want 5ms", i, d)
		}
	}
	// The 101st and 102nd: the empty bucket dominates (100 ms, 200 ms).
	if d := r.When(0, 100); d != 100*sim.Millisecond {
		t.Fatalf("101st: %v, want the bucket's 100ms", d)
	}
	if d := r.When(0, 101); d != 200*sim.Millisecond {
		t.Fatalf("102nd: %v, want 200ms", d)
	}
	// Item 0's second failure, much later: its own 10 ms dominates a refilled bucket.
	if d := r.When(time1h, 0); d != 10*sim.Millisecond {
		t.Fatalf("item 0 again: %v, want 10ms", d)
	}
	if r.NumRequeues(0) != 2 {
		t.Fatalf("NumRequeues %d, want 2 (the max of the limiters)", r.NumRequeues(0))
	}
	r.Forget(0)
	if r.NumRequeues(0) != 0 {
		t.Fatal("Forget did not reach the exponential limiter")
	}
}

const time1h = sim.Hour

// TestSelfHealBackoff checks Argo CD's self-heal delays (controller/
// appcontroller.go since v2.14): 0, 2, 6, 18, 54, 162 s, then 300 s.
func TestSelfHealBackoff(t *testing.T) {
	want := []float64{0, 2, 6, 18, 54, 162, 300, 300, 300}
	for k, w := range want {
		if got := SelfHealBackoff(k, 2*sim.Second, 3, 300*sim.Second); got != sim.Seconds(w) {
			t.Errorf("after %d attempts: %v, want %gs", k, got, w)
		}
	}
}

// TestFenceposts checks the Deployment controller's rounding against the
// apps/v1 documentation: with 10 replicas at most 13 pods and at least 8
// available; both 0 ⇒ maxUnavailable 1.
func TestFenceposts(t *testing.T) {
	d := DefaultDeploymentConfig()
	cases := []struct{ n, surge, unavail int }{{10, 3, 2}, {4, 1, 1}, {8, 2, 2}, {3, 1, 0}, {1, 1, 0}, {100, 25, 25}}
	for _, c := range cases {
		s, u := d.Fenceposts(c.n)
		if s != c.surge || u != c.unavail {
			t.Errorf("%d replicas: surge %d unavailable %d, want %d and %d", c.n, s, u, c.surge, c.unavail)
		}
	}
	d.MaxSurge, d.MaxUnavailable = 0, 0
	if s, u := d.Fenceposts(10); s != 0 || u != 1 {
		t.Errorf("both zero: surge %d unavailable %d, want 0 and 1", s, u)
	}
	d.MaxSurgePods, d.MaxUnavailablePods = 1, 0
	if s, u := d.Fenceposts(10); s != 1 || u != 0 {
		t.Errorf("pod counts: surge %d unavailable %d, want 1 and 0", s, u)
	}
}
