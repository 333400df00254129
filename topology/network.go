package topology

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// PlaceID indexes World.Places.
type PlaceID int32

// Place is a zone within a region: where nodes live and what links join.
type Place struct {
	Region string
	Zone   string
}

// String is "region/zone".
func (p Place) String() string { return p.Region + "/" + p.Zone }

// LinkSpec sets the one-way latency between two places; a place may be
// joined to itself (latency inside a zone). Links are symmetric.
type LinkSpec struct {
	A, B    PlaceID
	Latency sim.Dist // seconds, one way; nil means zero
}

// NetworkSpec describes latency between places. Latency between two places
// with no explicit link falls back to SameZone, SameRegion or CrossRegion.
type NetworkSpec struct {
	SameZone    sim.Dist // nil = 0
	SameRegion  sim.Dist // different zones of one region; nil = 0
	CrossRegion sim.Dist // nil = 0
	Links       []LinkSpec
}

// Network answers "how long does a message take from a to b". It owns the
// random stream for latency draws.
type Network struct {
	places  []Place
	latency [][]sim.Dist // [from][to]; nil = zero latency
	rng     *rand.Rand

	cuts []int32         // [a*n+b]: partitions cutting the link (they nest)
	imps [][]*impairment // [a*n+b]: active impairments
	Lost uint64          // messages lost to cuts and impairments
}

// impairment is extra latency and loss on a link while a fault holds it.
type impairment struct {
	extra sim.Dist
	loss  float64
}

func newNetwork(places []Place, spec NetworkSpec, rng *rand.Rand) (*Network, error) {
	n := &Network{places: places, rng: rng, latency: make([][]sim.Dist, len(places)),
		cuts: make([]int32, len(places)*len(places)), imps: make([][]*impairment, len(places)*len(places))}
	for a := range places {
		n.latency[a] = make([]sim.Dist, len(places))
		for b := range places {
			switch {
			case a == b:
				n.latency[a][b] = spec.SameZone
			case places[a].Region == places[b].Region:
				n.latency[a][b] = spec.SameRegion
			default:
				n.latency[a][b] = spec.CrossRegion
			}
		}
	}
	for _, l := range spec.Links {
		if int(l.A) >= len(places) || int(l.B) >= len(places) || l.A < 0 || l.B < 0 {
			return nil, fmt.Errorf("link %d-%d refers to an unknown place", l.A, l.B)
		}
		n.latency[l.A][l.B] = l.Latency
		n.latency[l.B][l.A] = l.Latency
	}
	return n, nil
}

// Latency draws the one-way delay of a message from place a to place b,
// without the faults' impairments.
func (n *Network) Latency(a, b PlaceID) sim.Time {
	d := n.latency[a][b]
	if d == nil {
		return 0
	}
	return sim.SampleTime(d, n.rng)
}

// Transit decides the fate of one message from a to b: its delay, or
// false when a partition or an impairment loses it.
func (n *Network) Transit(a, b PlaceID) (sim.Time, bool) {
	k := int(a)*len(n.places) + int(b)
	if n.cuts[k] > 0 {
		n.Lost++
		return 0, false
	}
	d := n.Latency(a, b)
	if imps := n.imps[k]; len(imps) > 0 {
		keep := 1.0
		for _, im := range imps {
			if im.extra != nil {
				d += sim.SampleTime(im.extra, n.rng)
			}
			keep *= 1 - im.loss
		}
		if keep < 1 && n.rng.Float64() >= keep {
			n.Lost++
			return 0, false
		}
	}
	return d, true
}

// Reachable reports whether messages can pass from a to b (no partition).
func (n *Network) Reachable(a, b PlaceID) bool {
	return n.cuts[int(a)*len(n.places)+int(b)] == 0
}

// Cut partitions a from b in both directions until the returned heal
// function is called: messages between them are silently lost, so callers
// wait for their timeouts. Cuts nest. a == b cuts traffic inside a zone.
func (n *Network) Cut(a, b PlaceID) (heal func()) {
	ks := n.pair(a, b)
	for _, k := range ks {
		n.cuts[k]++
	}
	done := false
	return func() {
		if !done {
			done = true
			for _, k := range ks {
				n.cuts[k]--
			}
		}
	}
}

// Impair adds latency (drawn per message from extra, which may be nil) and
// a loss probability to messages between a and b, both ways, until the
// returned revert function is called. Impairments stack: latencies add,
// losses combine as independent drops.
func (n *Network) Impair(a, b PlaceID, extra sim.Dist, loss float64) (revert func()) {
	im := &impairment{extra: extra, loss: loss}
	ks := n.pair(a, b)
	for _, k := range ks {
		n.imps[k] = append(n.imps[k], im)
	}
	done := false
	return func() {
		if done {
			return
		}
		done = true
		for _, k := range ks {
			n.imps[k] = Without(n.imps[k], im)
		}
	}
}

// pair returns the link indices of a→b and b→a (one index when a == b).
func (n *Network) pair(a, b PlaceID) []int {
	ab, ba := int(a)*len(n.places)+int(b), int(b)*len(n.places)+int(a)
	if ab == ba {
		return []int{ab}
	}
	return []int{ab, ba}
}

// MeanLatency is the expected one-way delay from a to b, in seconds.
func (n *Network) MeanLatency(a, b PlaceID) float64 {
	if d := n.latency[a][b]; d != nil {
		return d.Mean()
	}
	return 0
}
