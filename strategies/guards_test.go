package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// fakeEnv is a GuardEnv over n hosts that records ejections.
type fakeEnv struct {
	ejected []bool
	active  int
}

func newEnv(n int) *fakeEnv             { return &fakeEnv{ejected: make([]bool, n)} }
func (e *fakeEnv) Hosts() int           { return len(e.ejected) }
func (e *fakeEnv) Ejected(h int) bool   { return e.ejected[h] }
func (e *fakeEnv) Active() int          { return e.active }
func (e *fakeEnv) Eject(h int, ej bool) { e.ejected[h] = ej }

func outlierDefaults(t *testing.T, over sim.Params) OutlierConfig {
	t.Helper()
	d, _ := LookupGuard("outlier-detection")
	p, err := d.Params.Complete(over)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	return f(newEnv(1), sim.NewStream(1, "x")).(*OutlierDetector).cfg
}

// TestOutlierEjectionTimeline follows a host that fails every request:
// each ejection lasts base × k (30, 60, 90 … s) capped at 300 s, and ends
// at the first interval tick after it expires (Envoy checks at the
// interval timer), after which 5 more failures eject it again.
func TestOutlierEjectionTimeline(t *testing.T) {
	cfg := outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0})
	env := newEnv(2)
	d := NewOutlierDetector(cfg, env, sim.NewStream(1, "od"))
	var ejections []sim.Time // start of each ejection
	var lengths []sim.Time
	now := sim.Time(0)
	var ejectedAt sim.Time
	nextTick := cfg.Interval
	for now < 2*sim.Hour {
		now += 100 * sim.Millisecond
		for now >= nextTick {
			was := env.ejected[0]
			d.Tick(nextTick)
			if was && !env.ejected[0] {
				lengths = append(lengths, nextTick-ejectedAt)
			}
			nextTick += cfg.Interval
		}
		if !env.ejected[0] {
			d.Observe(now, 0, 0, topology.Error)
			if env.ejected[0] {
				ejections = append(ejections, now)
				ejectedAt = now
			}
		}
	}
	want := []sim.Time{30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300}
	for i, w := range want {
		// The lift happens at the first 10 s tick at or after expiry.
		if got := lengths[i]; got < w*sim.Second || got >= w*sim.Second+cfg.Interval {
			t.Fatalf("ejection %d lasted %v, want %v rounded up to the 10 s interval (all: %v)", i+1, got, w*sim.Second, lengths)
		}
	}
	if d.EjectionTime(1) != 30*sim.Second || d.EjectionTime(20) != 300*sim.Second {
		t.Fatalf("EjectionTime")
	}
}

func TestOutlierMultiplierDecaysWhileHealthy(t *testing.T) {
	cfg := outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0})
	env := newEnv(1)
	d := NewOutlierDetector(cfg, env, sim.NewStream(1, "od"))
	fail5 := func(at sim.Time) {
		for i := 0; i < 5; i++ {
			d.Observe(at, 0, 0, topology.Error)
		}
	}
	fail5(0) // k = 1: 30 s
	for tick := sim.Time(10); tick <= 30; tick += 10 {
		d.Tick(tick * sim.Second)
	}
	fail5(31 * sim.Second) // k = 2: 60 s
	if d.hosts[0].times != 2 {
		t.Fatalf("k = %d, want 2", d.hosts[0].times)
	}
	for tick := sim.Time(40); tick <= 200; tick += 10 { // lifted at 100 s, then 10 healthy ticks
		d.Tick(tick * sim.Second)
	}
	if d.hosts[0].times != 0 {
		t.Fatalf("k = %d after ten healthy intervals, want 0", d.hosts[0].times)
	}
}

func TestOutlierEjectionCap(t *testing.T) {
	for _, c := range []struct {
		name    string
		hosts   int
		over    sim.Params
		failing int
		ejected int
	}{
		{"10% of 10 hosts ejects 1", 10, nil, 3, 1},
		{"strict 10% of 3 hosts ejects none", 3, nil, 1, 0},
		{"legacy 10% of 3 hosts ejects one (envoy#3263)", 3, sim.Params{"legacy_cap": true}, 2, 1},
		{"always_eject_one_host", 3, sim.Params{"always_eject_one_host": true}, 2, 1},
		{"67% of 3 hosts ejects 2", 3, sim.Params{"max_ejection_percent": 0.67}, 3, 2},
		{"100% ejects all", 3, sim.Params{"max_ejection_percent": 1.0}, 3, 3},
	} {
		env := newEnv(c.hosts)
		d := NewOutlierDetector(outlierDefaults(t, c.over), env, sim.NewStream(1, "od"))
		for h := 0; h < c.failing; h++ {
			for i := 0; i < 5; i++ {
				d.Observe(0, h, 0, topology.Error)
			}
		}
		n := 0
		for _, e := range env.ejected {
			if e {
				n++
			}
		}
		if n != c.ejected {
			t.Errorf("%s: %d ejected, want %d", c.name, n, c.ejected)
		}
	}
}

// TestOutlierSuccessRate: ten hosts with 100 requests each in an
// interval, one at 50% success: mean 0.95, population stdev 0.15, so the
// threshold is 0.95 − 1.9 × 0.15 = 0.665 and only that host goes.
func TestOutlierSuccessRate(t *testing.T) {
	for _, c := range []struct {
		hosts, want int
	}{{10, 1}, {4, 0}} { // fewer than success_rate_minimum_hosts (5): no sweep
		env := newEnv(c.hosts)
		d := NewOutlierDetector(outlierDefaults(t, sim.Params{"max_ejection_percent": 1.0, "consecutive_5xx": int64(1000)}), env, sim.NewStream(1, "od"))
		for h := 0; h < c.hosts; h++ {
			for i := 0; i < 100; i++ {
				o := topology.Success
				if h == 0 && i%2 == 0 {
					o = topology.Error
				}
				d.Observe(0, h, 0, o)
			}
		}
		d.Tick(10 * sim.Second)
		n := 0
		for _, e := range env.ejected {
			if e {
				n++
			}
		}
		if n != c.want || (c.want == 1 && !env.ejected[0]) {
			t.Errorf("%d hosts: ejected %v, want %d (host 0)", c.hosts, env.ejected, c.want)
		}
	}
}

func TestResilience4jStateMachine(t *testing.T) {
	d, _ := LookupGuard("resilience4j")
	p, _ := d.Params.Complete(nil)
	f, _ := d.Build(p)
	b := f(newEnv(1), nil).(*R4J)
	now := sim.Time(0)
	for i := 0; i < 99; i++ { // 49 failures of 99: under minimumNumberOfCalls
		o := topology.Success
		if i%2 == 1 {
			o = topology.Error
		}
		b.Observe(now, 0, 0, o)
	}
	if b.State != Closed {
		t.Fatal("opened before minimumNumberOfCalls")
	}
	b.Observe(now, 0, 0, topology.Error) // 50 of 100: 50% ≥ threshold
	if b.State != Open || b.Admit(59*sim.Second, 0) {
		t.Fatalf("state %v, admitted while open", b.State)
	}
	now = 60 * sim.Second
	for i := 0; i < 10; i++ {
		if !b.Admit(now, 0) {
			t.Fatalf("half-open refused trial call %d", i+1)
		}
	}
	if b.State != HalfOpen || b.Admit(now, 0) {
		t.Fatal("half-open admitted an 11th call")
	}
	for i := 0; i < 10; i++ {
		o := topology.Success
		if i < 4 {
			o = topology.Error
		}
		b.Observe(now, 0, 0, o) // 40% < 50%
	}
	if b.State != Closed || !b.Admit(now, 0) {
		t.Fatalf("state %v after good trial calls, want closed", b.State)
	}
	// A slow-call storm opens it too (slow_call_rate_threshold 100%).
	for i := 0; i < 100; i++ {
		b.Observe(now, 0, 61*sim.Second, topology.Success)
	}
	if b.State != Open {
		t.Fatal("all-slow calls did not open the breaker")
	}
}

func TestHystrixSingleTrial(t *testing.T) {
	h := NewHystrix(HystrixConfig{Volume: 20, ErrorRate: 0.5, Sleep: 5 * sim.Second, Window: 10 * sim.Second})
	for i := 0; i < 19; i++ {
		h.Observe(sim.Time(i)*100*sim.Millisecond, 0, 0, topology.Error)
	}
	if h.State != Closed {
		t.Fatal("opened below the request volume threshold")
	}
	h.Observe(2*sim.Second, 0, 0, topology.Error)
	if h.State != Open || h.Admit(6*sim.Second, 0) {
		t.Fatal("not open, or admitted during the sleep window")
	}
	if !h.Admit(7*sim.Second, 0) || h.Admit(7*sim.Second, 0) {
		t.Fatal("the single trial request was not exactly one")
	}
	h.Observe(7*sim.Second, 0, 0, topology.Error) // trial fails: another sleep window
	if h.State != Open || h.Admit(11*sim.Second, 0) || !h.Admit(12*sim.Second, 0) {
		t.Fatal("a failed trial did not restart the sleep window")
	}
	h.Observe(12*sim.Second, 0, 0, topology.Success)
	if h.State != Closed {
		t.Fatal("a successful trial did not close the breaker")
	}
	// Old failures leave the rolling window: 20 failures spread over 30 s
	// never open it.
	h2 := NewHystrix(HystrixConfig{Volume: 20, ErrorRate: 0.5, Sleep: 5 * sim.Second, Window: 10 * sim.Second})
	for i := 0; i < 20; i++ {
		h2.Observe(sim.Time(i)*1500*sim.Millisecond, 0, 0, topology.Error)
	}
	if h2.State != Closed {
		t.Fatal("failures outside the 10 s window counted")
	}
}

func TestEnvoyBreaker(t *testing.T) {
	env := newEnv(3)
	b := &EnvoyBreaker{Max: 2, env: env}
	env.active = 1
	if !b.Admit(0, 0) {
		t.Fatal("refused under the limit")
	}
	env.active = 2
	if b.Admit(0, 0) || b.Refused != 1 {
		t.Fatal("admitted at the limit")
	}
}

func TestRetryParams(t *testing.T) {
	p, err := RetryParams.Complete(sim.Params{"num_retries": int64(2), "retry_on": "gateway-error,reset", "budget": 0.2})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := RetryPolicy(p)
	if err != nil || pol.Attempts != 3 || pol.BudgetPercent != 0.2 || pol.BackoffBase != 25*sim.Millisecond || pol.BackoffMax != 250*sim.Millisecond {
		t.Fatalf("policy %+v, %v", pol, err)
	}
	if _, err := RetryParams.Complete(sim.Params{"retry_on": "5xx,teapot"}); err == nil {
		t.Fatal("bad retry_on accepted")
	}
}
