package faults

import "github.com/tangle-sim/tangle/topology"

// Installer is an optional Injector ability for a fault kind with timed or
// periodic behaviour of its own (a flapping link, a clock that steps every
// minute): Schedule.Install calls Install once, before the run, so the kind
// registers its own engine handlers next to the seam it wraps; Inject and
// the revert it returns then switch that behaviour on and off. Nothing in
// the model changes for a new kind.
type Installer interface {
	Install(w *topology.World) error
}
