// Package faults injects faults into a world: each fault is data — a kind,
// a target selector, a window and parameters — and wraps one seam of the
// world (a replica's state, the network, the signal bus) rather than
// sprinkling conditions through the model. Overlapping faults compose:
// the seams they act on nest or combine their effects.
//
//	sched := faults.Schedule{{Def: crash, Target: faults.Selector{Service: "api", Mode: faults.Count, Value: 2},
//		Start: 2 * sim.Minute, Duration: 30 * sim.Second}}
//	timeline, err := sched.Install(w)   // before w.Start
//	// ... run; timeline.Windows() lists what fired, when, on which targets
//
// Kinds are declared in Defs (name, targets, parameters with defaults,
// the seed document's failure mode it reproduces) and listed by
// `tangle list faults`. A kind with timed or periodic behaviour of its own
// schedules it itself (Installer); Example_newKind writes a flapping fault
// that way, and docs/extending.md lists where a new kind is registered.
package faults
