package strategies

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// pooledEnv is a fakeEnv whose target is an autoscaled pool with only
// some hosts provisioned.
type pooledEnv struct {
	*fakeEnv
	provisioned int
}

func (e pooledEnv) Provisioned() int { return e.provisioned }

// max_ejection_percent counts the hosts that exist: with 2 of a pool of
// 10 provisioned, 50% lets one host be ejected, not five.
func TestOutlierCapCountsProvisionedHosts(t *testing.T) {
	cfg := outlierDefaults(t, sim.Params{"max_ejection_percent": 0.5})
	env := pooledEnv{fakeEnv: newEnv(10), provisioned: 2}
	d := NewOutlierDetector(cfg, env, sim.NewStream(1, "od"))
	now := sim.Time(0)
	for i := 0; i < 10; i++ {
		now += sim.Millisecond
		for h := 0; h < 2; h++ {
			d.Observe(now, h, 0, topology.Error)
		}
	}
	n := 0
	for _, e := range env.ejected {
		if e {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d of 2 provisioned hosts ejected under a 50%% cap, want 1", n)
	}
}
