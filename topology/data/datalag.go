package data

import "github.com/tangle-sim/tangle/sim"

// LagSampleInterval is how often the data layer's replication-lag sensor
// takes a reading: pt-heartbeat's default --interval of 1 s (Percona
// Toolkit, pt-heartbeat(1)). Samples are taken on this fixed grid of
// virtual time from the start of the run, whoever reads the sensor;
// readings in between return the last sample, as a monitoring system's
// scrape does.
const LagSampleInterval = sim.Second

// dataLag is the replication-lag sensor a datastore feeds (Bus.FeedLag):
// the lag a heartbeat monitor such as pt-heartbeat would report for each
// data replica — how long ago the oldest acknowledged write it does not
// yet hold was acknowledged (0 when it holds every one) — and for a
// region the largest over its running data replicas, since the region's
// stalest replica bounds how stale its reads can be. A replica cut off
// from replication lags more every second, as a heartbeat's age does;
// one that catches up reads 0 at the next sample. Regions without a
// running data replica have no reading (the configured baseline holds).
//
// Writes are the acknowledged ones the datastore follows for convergence
// (at most maxPending per key; a key with more under a long backlog
// reports the oldest still followed, so the lag is a lower bound there).
type dataLag struct {
	ds      *datastore
	regions []string // by region index, as the bus's sensors name them
	lag     []sim.Time
	ok      []bool
	oldest  []sim.Time // scratch: per data replica, the oldest missing write's acknowledgement (-1: none)
}

func newDataLag(ds *datastore, regions []string) *dataLag {
	return &dataLag{
		ds: ds, regions: regions,
		lag: make([]sim.Time, len(regions)), ok: make([]bool, len(regions)),
		oldest: make([]sim.Time, len(ds.nodes)),
	}
}

// Lag implements LagSensor: the last sample's reading (none before the
// first).
func (l *dataLag) Lag(_ sim.Time, region string) (sim.Time, bool) {
	for i, r := range l.regions {
		if r == region {
			return l.lag[i], l.ok[i]
		}
	}
	return 0, false
}

// sample recomputes every region's reading: one pass over the followed
// writes, O(keys + pending writes × replication factor).
func (l *dataLag) sample(now sim.Time) {
	ds := l.ds
	for i := range l.oldest {
		l.oldest[i] = -1
	}
	for k, pend := range ds.pend {
		for _, pw := range pend {
			for j := 0; j < ds.rf; j++ {
				h := ds.homeOf(int32(k), j)
				if ds.nodes[h].cells[k].ver < pw.ver && (l.oldest[h] < 0 || pw.at < l.oldest[h]) {
					l.oldest[h] = pw.at
				}
			}
		}
	}
	clear(l.ok)
	clear(l.lag)
	places := ds.w.Places
	for i, n := range ds.nodes {
		if n.node.Down() {
			continue
		}
		region := places[n.node.Place].Region
		for r, name := range l.regions {
			if name != region {
				continue
			}
			lag := sim.Time(0)
			if l.oldest[i] >= 0 {
				lag = now - l.oldest[i]
			}
			l.ok[r] = true
			l.lag[r] = max(l.lag[r], lag)
		}
	}
}
