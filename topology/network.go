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
}

func newNetwork(places []Place, spec NetworkSpec, rng *rand.Rand) (*Network, error) {
	n := &Network{places: places, rng: rng, latency: make([][]sim.Dist, len(places))}
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

// Latency draws the one-way delay of a message from place a to place b.
func (n *Network) Latency(a, b PlaceID) sim.Time {
	d := n.latency[a][b]
	if d == nil {
		return 0
	}
	return sim.SampleTime(d, n.rng)
}

// MeanLatency is the expected one-way delay from a to b, in seconds.
func (n *Network) MeanLatency(a, b PlaceID) float64 {
	if d := n.latency[a][b]; d != nil {
		return d.Mean()
	}
	return 0
}
