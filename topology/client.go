package topology

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// ArrivalKind is the shape of a client's arrival process.
type ArrivalKind uint8

const (
	Poisson  ArrivalKind = iota // exponential gaps (a non-homogeneous Poisson process when the rate varies)
	Constant                    // evenly spaced arrivals at the current rate
)

func (k ArrivalKind) String() string {
	if k == Constant {
		return "constant"
	}
	return "poisson"
}

// RatePoint is the arrival rate (requests per second) at an instant.
type RatePoint struct {
	At   sim.Time
	Rate float64
}

// RateProfile is a piecewise-linear arrival rate over time. Between two
// consecutive points the rate moves linearly (a ramp); two points at the
// same instant make a step; before the first point the rate is the first
// point's, after the last it is the last point's. One point is a constant
// rate. Steps, spikes and ramps are all written this way.
type RateProfile []RatePoint

// Validate checks the points are in time order with non-negative rates.
func (p RateProfile) Validate() error {
	if len(p) == 0 {
		return fmt.Errorf("rate profile has no points")
	}
	for i, pt := range p {
		if !(pt.Rate >= 0) {
			return fmt.Errorf("rate %g at %v is negative", pt.Rate, pt.At)
		}
		if i > 0 && pt.At < p[i-1].At {
			return fmt.Errorf("rate point at %v comes before the previous one at %v", pt.At, p[i-1].At)
		}
	}
	return nil
}

// At returns the rate in force at t (after any step at t).
func (p RateProfile) At(t sim.Time) float64 {
	if t < p[0].At {
		return p[0].Rate
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].At <= t {
			if i+1 < len(p) && p[i+1].At > p[i].At {
				a, b := p[i], p[i+1]
				f := float64(t-a.At) / float64(b.At-a.At)
				return a.Rate + f*(b.Rate-a.Rate)
			}
			return p[i].Rate
		}
	}
	return p[len(p)-1].Rate
}

// segment is a stretch of a rate profile over which the rate is linear.
type segment struct {
	start, end sim.Time
	r0, r1     float64
}

func (s segment) rate(t sim.Time) float64 {
	if s.r0 == s.r1 || s.end == sim.Never {
		return s.r0
	}
	return s.r0 + float64(t-s.start)/float64(s.end-s.start)*(s.r1-s.r0)
}

func (p RateProfile) segments() []segment {
	segs := []segment{{start: 0, end: max(p[0].At, 0), r0: p[0].Rate, r1: p[0].Rate}}
	for i := 0; i+1 < len(p); i++ {
		if p[i+1].At > p[i].At {
			segs = append(segs, segment{start: p[i].At, end: p[i+1].At, r0: p[i].Rate, r1: p[i+1].Rate})
		}
	}
	last := p[len(p)-1]
	segs = append(segs, segment{start: last.At, end: sim.Never, r0: last.Rate, r1: last.Rate})
	// Drop empty leading segments (a profile starting at or before 0).
	out := segs[:0]
	for _, s := range segs {
		if s.end > s.start && s.end > 0 {
			s.start = max(s.start, 0)
			out = append(out, s)
		}
	}
	return out
}

// ClientSpec describes a population of callers sending requests to one
// service.
type ClientSpec struct {
	Name    string
	Service int // index into the world's services
	Arrival ArrivalKind
	Rate    RateProfile
	Timeout sim.Time // per request, from generation; 0 means none
	Callers int      // sidecars (calling instances), each an independent decider; ≥ 1
	Place   PlaceID
	Edge    bool // route through an edge gateway that picks a cluster (region) first
	// Residency lists the regions its users' data may be served in (data
	// residency); nil means anywhere. Policies enforce it, metrics count
	// requests served elsewhere.
	Residency []string
	// Operation names the operation of the target service its requests
	// ask for (through an edge: of the edge's target); "" means one drawn
	// by the operations' weights (see ServiceSpec.Operations).
	Operation string
}

// Validate reports the first impossible value in s.
func (s ClientSpec) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("client has no name")
	case s.Callers < 1:
		return fmt.Errorf("client %s: callers must be at least 1, got %d", s.Name, s.Callers)
	case s.Timeout < 0:
		return fmt.Errorf("client %s: timeout must not be negative", s.Name)
	}
	if err := s.Rate.Validate(); err != nil {
		return fmt.Errorf("client %s: %w", s.Name, err)
	}
	return nil
}

// Client generates requests and hands each to one of its callers.
type Client struct {
	ID      int32
	Name    string
	Spec    ClientSpec
	Target  *Service
	Callers []*Caller
	Edge    *Edge // nil unless Spec.Edge

	segs     []segment
	seg      int
	arrivals *rand.Rand // gaps and thinning
	work     *rand.Rand // per-request draws: key, service time, error coin
	assign   *rand.Rand // which caller sends each request
	timeouts sim.Lane   // request timeouts: arrival + Spec.Timeout never decreases
	op       int16      // the operation its requests name; -1: drawn (operations.go)
	ops      *rand.Rand // which operation each request asks for, when drawn

	// Generated counts requests generated so far; Attempts the attempts
	// its callers sent (first tries and retries), Retries the retries, and
	// RetriesDenied the retries a retry budget or limit refused.
	Generated, Attempts, Retries, RetriesDenied uint64
	// Hedges counts the attempts its callers sent while an earlier attempt
	// of the same request was still out (hedge.go); Attempts and Retries
	// include them.
	Hedges uint64
}

// nextArrival returns the first arrival after now, or sim.Never when the
// rate stays zero from now on.
func (c *Client) nextArrival(now sim.Time) sim.Time {
	t := now
	for c.seg < len(c.segs) {
		s := c.segs[c.seg]
		if t >= s.end {
			c.seg++
			continue
		}
		m := max(s.r0, s.r1)
		if m <= 0 {
			t = s.end
			c.seg++
			continue
		}
		switch c.Spec.Arrival {
		case Constant:
			r := s.rate(t)
			if r <= 0 { // a ramp through zero: step to where the rate is positive
				t = t.Plus(sim.Seconds(1 / m))
				continue
			}
			return t.Plus(max(sim.Seconds(1/r), 1))
		default:
			// Thinning (Lewis & Shedler 1979) within the segment with the
			// segment's peak rate; the process is memoryless, so running
			// past the segment's end restarts cleanly from that boundary.
			t = t.Plus(max(sim.Seconds(c.arrivals.ExpFloat64()/m), 1))
			if t >= s.end {
				t = s.end
				c.seg++
				continue
			}
			if s.r0 == s.r1 || c.arrivals.Float64()*m <= s.rate(t) {
				return t
			}
		}
	}
	return sim.Never
}
