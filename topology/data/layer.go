package data

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// The data layer on a world: it attaches to the request path
// (topology.Layer) and to the state model's processes and schemas, and
// keeps its per-request and per-attempt tables by the core's slots.
type requestTables struct {
	reqData   []Op     // by request slot: the request's data operation
	reqServed []Served // by request slot: what the datastore did for its answering attempt
	jobData   []Op     // by attempt slot: the data operation it carries
	jobServed []Served // by attempt slot: what the datastore did for it
}

// New builds the datastore of spec on w, whose state model (state.New)
// must exist, and attaches it: to the world's request path, and to the
// state model's processes (crashes lose its volatile state) and schemas.
// Call Configure before w.Start to choose its policy; Of(w) finds it.
func New(w *topology.World, spec Spec) (Datastore, error) {
	s := state.Of(w)
	if s == nil {
		return Datastore{}, fmt.Errorf("datastore: the world has no state model")
	}
	for _, k := range s.Keys {
		if k.Kind == state.Schema && k.Service.ID != spec.Service {
			return Datastore{}, fmt.Errorf("state: key %s: a schema key is held by the datastore's replicas", k.Name)
		}
	}
	ds, err := newDatastore(s, spec)
	if err != nil {
		return Datastore{}, err
	}
	s.OnProcess(ds)
	s.OnStart(ds.run)
	ds.lag = newDataLag(ds, w.Bus.Regions())
	w.Bus.FeedLag(ds.lag)
	for _, k := range s.Keys {
		if k.Kind == state.Schema && ds.schema == nil {
			ds.schema = k
		}
	}
	s.SetSchemas(ds)
	w.Attach(ds)
	return Datastore{ds}, nil
}

// Of returns the datastore attached to w (ok false when it has none).
func Of(w *topology.World) (Datastore, bool) {
	for _, l := range w.Layers() {
		if ds, ok := l.(*datastore); ok {
			return Datastore{ds}, true
		}
	}
	return Datastore{}, false
}

// Configure sets how coordinators use the datastore (the zero Policy:
// strict QUORUM, blocking read repair) and each data replica's
// anti-entropy loop (nil: none). Call it once, before the world starts.
func (d Datastore) Configure(pol Policy, repair NewRepairer) error {
	ds := d.ds
	if ds.configured {
		return fmt.Errorf("datastore: configured twice")
	}
	ds.configured = true
	ds.pol, ds.newRepairer = pol, repair
	ds.pol.fill()
	return ds.checkPolicy()
}

// ServedBy is what the datastore did for request r's answering attempt
// (Op OpNone when nothing). Valid while r lives, which includes the
// observers' RequestEnded calls.
func (d Datastore) ServedBy(r *topology.Request) Served { return d.ds.reqServed[r.Ref().Slot()] }

// OpOf is request r's data operation (Kind OpNone when it has none).
func (d Datastore) OpOf(r *topology.Request) Op { return d.ds.reqData[r.Ref().Slot()] }

// Start is the topology.Layer hook: the datastore's processes start with
// the state model's (state.OnStart), so there is nothing to do here.
func (ds *datastore) Start(sim.Time) {}

// Arrived clears the request's entries and draws its data operation when
// its client has a data workload (the Arriver hook).
func (ds *datastore) Arrived(c *topology.Client, r *topology.Request) {
	i := r.Ref().Slot()
	ds.reqData, ds.reqServed = state.GrowTo(ds.reqData, i), state.GrowTo(ds.reqServed, i)
	ds.reqData[i], ds.reqServed[i] = Op{}, Served{}
	ds.drawData(c, r)
}

// Sent gives the attempt its request's data operation (the Sender hook).
func (ds *datastore) Sent(job topology.Ref, r *topology.Request) {
	i := job.Slot()
	ds.jobData, ds.jobServed = state.GrowTo(ds.jobData, i), state.GrowTo(ds.jobServed, i)
	ds.jobData[i], ds.jobServed[i] = ds.reqData[r.Ref().Slot()], Served{}
}

// Answered records what the datastore did for the request's answering
// attempt (the Answerer hook).
func (ds *datastore) Answered(job topology.Ref, r *topology.Request) {
	ds.reqServed[r.Ref().Slot()] = ds.jobServed[job.Slot()]
}

// Finished starts the data operation of a served attempt that has one; the
// reply waits for it (the Finisher hook).
func (ds *datastore) Finished(rep *topology.Replica, job topology.Ref, j *topology.Job) bool {
	if ds.jobData[job.Slot()].Kind == OpNone {
		return false
	}
	ds.begin(rep, job, j)
	return true
}

// Rules, Key and Users are what the state model needs of the schemas
// (state.Schemas).
func (ds *datastore) Rules() []state.CompatRule { return ds.spec.Compat }
func (ds *datastore) Key() *state.Key           { return ds.schema }
func (ds *datastore) Users() []*state.Node      { return ds.users }
