package topology

import (
	"math"
	"slices"

	"github.com/tangle-sim/tangle/sim"
)

// Region-level sensors: the price of serving a request in a region (as
// the cost signal reports it and as billing meters it), the security
// sensor's threat score and the data layer's replication lag. Each
// replica's measurement carries its region's readings, so every signal
// fault that acts on a replica's signals (stale, loss, poisoning, forgery)
// acts on them too.

// RegionSignals are one region's sensor baselines.
type RegionSignals struct {
	Region string
	Cost   float64  // price of serving one request there, in the scenario's currency
	Threat float64  // threat score, 0..1
	Lag    sim.Time // replication lag of the region's data
}

// RegionShift is what a fault does to a region's sensors while it holds.
// Shifts stack: factors multiply, threats and lags add (the threat score
// is capped at 1).
type RegionShift struct {
	Price  float64  // the true price is multiplied by this (0: unchanged): a cost spike
	Signal float64  // the cost signal is multiplied by this (0: unchanged): a misweighted cost signal
	Threat float64  // added to the threat score: an intrusion
	Lag    sim.Time // added to the replication lag
}

// LagSensor is where the replication-lag sensor reads a region's lag: a
// data layer feeds it (Bus.FeedLag). ok false means the sensor has no
// reading for the region, and the configured baseline is used.
type LagSensor interface {
	Lag(now sim.Time, region string) (lag sim.Time, ok bool)
}

type regionSensors struct {
	names  []string
	base   []RegionSignals
	shifts [][]*RegionShift
	of     []int32 // per replica: its region's index
	lag    LagSensor
}

func newRegionSensors(w *World, spec []RegionSignals) regionSensors {
	var rs regionSensors
	for _, p := range w.Places {
		if !slices.Contains(rs.names, p.Region) {
			rs.names = append(rs.names, p.Region)
		}
	}
	rs.base = make([]RegionSignals, len(rs.names))
	rs.shifts = make([][]*RegionShift, len(rs.names))
	for i, n := range rs.names {
		rs.base[i].Region = n
		for _, r := range spec {
			if r.Region == n {
				rs.base[i] = r
			}
		}
	}
	for _, r := range w.Replicas {
		rs.of = append(rs.of, int32(slices.Index(rs.names, w.Places[r.Place].Region)))
	}
	return rs
}

// price is region i's true price now.
func (rs *regionSensors) price(i int) float64 {
	p := rs.base[i].Cost
	for _, s := range rs.shifts[i] {
		if s.Price > 0 {
			p *= s.Price
		}
	}
	return p
}

// read fills in the region readings of replica r's measurement.
func (rs *regionSensors) read(r *Replica, now sim.Time, s *Signal) {
	i := rs.of[r.ID]
	price := rs.price(int(i))
	sig, threat, lag := price, rs.base[i].Threat, rs.base[i].Lag
	if rs.lag != nil {
		if l, ok := rs.lag.Lag(now, rs.names[i]); ok {
			lag = l
		}
	}
	for _, sh := range rs.shifts[i] {
		if sh.Signal > 0 {
			sig *= sh.Signal
		}
		threat += sh.Threat
		lag += sh.Lag
	}
	s.Cost, s.Billed, s.Threat, s.Lag = sig, price, math.Min(1, threat), lag.Seconds()
}

// ShiftRegion applies sh to the sensors of region until the returned
// function is called. An unknown region is ignored.
func (b *Bus) ShiftRegion(region string, sh RegionShift) (revert func()) {
	i := slices.Index(b.sensors.names, region)
	if i < 0 {
		return func() {}
	}
	p := &sh
	b.sensors.shifts[i] = append(b.sensors.shifts[i], p)
	return Once(func() { b.sensors.shifts[i] = Without(b.sensors.shifts[i], p) })
}

// FeedLag makes the replication-lag sensor read from l (a data layer's
// replicas) instead of the regions' configured baselines; faults' lag
// shifts still add on top.
func (b *Bus) FeedLag(l LagSensor) { b.sensors.lag = l }

// Price is the true price of serving one request at replica rep now.
func (b *Bus) Price(rep *Replica) float64 { return b.sensors.price(int(b.sensors.of[rep.ID])) }

// Regions lists the regions the sensors know, in the order places declare them.
func (b *Bus) Regions() []string { return b.sensors.names }

// Sensed is what the region sensors of replica rep's region read now,
// before any fault on its signals: the true price, threat score and
// replication lag (for metrics of exposure).
func (b *Bus) Sensed(rep *Replica) (price, threat float64, lag sim.Time) {
	var s Signal
	b.sensors.read(rep, b.w.Eng.Now(), &s)
	return s.Billed, s.Threat, sim.Seconds(s.Lag)
}
