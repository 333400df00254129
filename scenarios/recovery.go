package scenarios

import (
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
)

// attachRecovery measures recovery from the scenario's faults
// (recovery_time, non_recovery) when it has any. A scenario without
// faults has nothing to recover from: its non_recovery is 0 (it never
// failed to recover) and its recovery_time undefined.
func (sc *Scenario) attachRecovery(b *Built) error {
	ivs := sc.faultIntervals()
	if len(ivs) == 0 {
		b.faultless = true
		return nil
	}
	first, last := sim.Never, sim.Time(0)
	for _, iv := range ivs {
		first, last = min(first, iv.Start), max(last, iv.End)
	}
	r, err := metrics.NewRecoveryRecorder(b.World, sc.Warmup.T(), sc.Duration.T(), first, last, metrics.DefaultRecovery())
	if err != nil {
		return err
	}
	b.Recovery = r
	return nil
}
