// Package sim is tangle's discrete-event engine: integer virtual time, a
// future-event set ordered by (time, class, sequence), cheap cancellation,
// and seeded random streams derived from (seed, component name).
//
// The core loop, as a model uses it:
//
//	eng := sim.NewEngine()
//	arrive := eng.Handle("arrive", func(arg uint64) {
//		// ... react at eng.Now(), then schedule the next event:
//		eng.After(sim.Seconds(rng.ExpFloat64()), sim.Default, arriveKind, arg)
//	})
//	eng.At(0, sim.Default, arrive, 0)
//	eng.Run(10 * sim.Minute)
//
// Events are 16-byte pointer-free values in a hand-written binary heap; the
// handler and its argument live in a slot table indexed by the event, so the
// hot path allocates nothing. Nothing in this package reads the wall clock,
// starts a goroutine or touches global random state: the same schedule of
// calls produces the same sequence of handler invocations, every time.
package sim
