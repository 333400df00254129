package faults

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// networkFaults cut or impair links between places (zones).
var networkFaults = []*Def{
	{
		Name: "partition",
		Description: "messages between target places are lost (callers wait for their timeouts), in a Jepsen shape: isolate cuts the targets off from every other place; " +
			"halves cuts the targets (in world order) into two halves, smaller first; majorities-ring lets each target reach only its ring neighbours, so each sees a different majority; " +
			"bridge is halves with the middle target connected to both sides. Places that are not targets stay connected to everything",
		Source:  "network partition (Jepsen nemesis :one, :majority/bisect, :majorities-ring, bridge; E-F9, D-F6)",
		Targets: Places,
		Params: sim.ParamSet{
			{Name: "shape", Kind: sim.Enum, Default: "isolate", Choices: []string{"isolate", "halves", "majorities-ring", "bridge"}, Description: "which links among the targets are cut"},
		},
		Build: func(p sim.Params) (Injector, error) {
			shape := p.String("shape")
			return InjectorFunc(func(w *topology.World, t Targets) func() {
				var heals []func()
				for _, cut := range Cuts(shape, t.Places, len(w.Places)) {
					heals = append(heals, w.Net.Cut(cut[0], cut[1]))
				}
				return func() {
					for _, h := range heals {
						h()
					}
				}
			}), nil
		},
	},
	{
		Name:        "link",
		Description: "links touching the target places get extra latency (latency + U[0, jitter)) and lose a fraction of messages (tc netem delay/loss)",
		Source:      "link latency and loss (Jepsen :packet / tc netem; Toxiproxy latency; Chaos Mesh NetworkChaos)",
		Targets:     Places,
		Params: sim.ParamSet{
			{Name: "latency", Kind: sim.Duration, Default: 100 * sim.Millisecond, Min: sim.Bound(0), Description: "extra one-way latency per message"},
			{Name: "jitter", Kind: sim.Duration, Default: sim.Time(0), Min: sim.Bound(0), Description: "extra latency uniform in [0, jitter) on top"},
			{Name: "loss", Kind: sim.Ratio, Default: 0.0, Description: "probability each message is lost"},
		},
		Build: func(p sim.Params) (Injector, error) {
			lat, jit, loss := p.Duration("latency"), p.Duration("jitter"), p.Float("loss")
			if lat == 0 && jit == 0 && loss == 0 {
				return nil, fmt.Errorf("link needs latency, jitter or loss")
			}
			var extra sim.Dist
			switch {
			case jit > 0:
				extra = sim.Uniform{Min: lat.Seconds(), Max: (lat + jit).Seconds()}
			case lat > 0:
				extra = sim.Constant{V: lat.Seconds()}
			}
			return InjectorFunc(func(w *topology.World, t Targets) func() {
				var reverts []func()
				for _, a := range t.Places {
					for b := range w.Places {
						pb := topology.PlaceID(b)
						if pb < a && containsPlace(t.Places, pb) {
							continue // that pair was impaired from b's side
						}
						reverts = append(reverts, w.Net.Impair(a, pb, extra, loss))
					}
				}
				return func() {
					for _, r := range reverts {
						r()
					}
				}
			}), nil
		},
	},
}

func containsPlace(ps []topology.PlaceID, p topology.PlaceID) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// Cuts returns the links (pairs of places) a partition of the given shape
// cuts, over the targets in the given order among n places.
func Cuts(shape string, targets []topology.PlaceID, n int) [][2]topology.PlaceID {
	var cuts [][2]topology.PlaceID
	cross := func(as, bs []topology.PlaceID) {
		for _, a := range as {
			for _, b := range bs {
				cuts = append(cuts, [2]topology.PlaceID{a, b})
			}
		}
	}
	switch shape {
	case "isolate":
		var others []topology.PlaceID
		for p := 0; p < n; p++ {
			if !containsPlace(targets, topology.PlaceID(p)) {
				others = append(others, topology.PlaceID(p))
			}
		}
		cross(targets, others)
	case "halves":
		h := len(targets) / 2
		cross(targets[:h], targets[h:])
	case "bridge":
		h := len(targets) / 2
		if len(targets) >= 3 {
			cross(targets[:h], targets[h+1:])
		} else {
			cross(targets[:h], targets[h:])
		}
	case "majorities-ring":
		k := len(targets)
		majority := k/2 + 1
		d := majority / 2 // each sees itself and d neighbours each side: 2d + 1 ≥ majority
		if 2*d+1 < majority {
			d++
		}
		for i := 0; i < k; i++ {
			for j := i + 1; j < k; j++ {
				if dist := min(j-i, k-(j-i)); dist > d {
					cuts = append(cuts, [2]topology.PlaceID{targets[i], targets[j]})
				}
			}
		}
	}
	return cuts
}
