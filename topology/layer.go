package topology

import "github.com/tangle-sim/tangle/sim"

// Layer is a model that attaches to a world through its hooks: the state
// model, the data layer and the routing control plane are layers. The
// core calls a layer only through the hooks below, so a world with no
// layer attached pays one empty loop per hook site and nothing else.
//
// In a world whose services call each other, the calls (hop requests)
// reach the Sender, ServeStamper, Answerer, Finisher and Responder hooks
// but not the Arriver: the state model and the data layer do not support
// such worlds yet (scenarios refuses the combination).
//
// A layer keeps what it knows about the core's objects in its own tables,
// indexed by their dense IDs (Replica.ID, Caller.ID, Client.ID), not in
// fields of the core's structs. It schedules its own work on World.Eng with
// handlers of its own.
type Layer interface {
	// Start schedules the layer's work. World.Start calls it after the
	// core's own, in the order the layers were attached.
	Start(horizon sim.Time)
}

// Arriver is an optional Layer ability: it hears each request as it is
// generated, before its first attempt is sent.
type Arriver interface {
	Arrived(c *Client, r *Request)
}

// Sender is an optional Layer ability: it hears each attempt of request r
// as its caller sends it (job refers to the attempt).
type Sender interface {
	Sent(job Ref, r *Request)
}

// ServeStamper is an optional Layer ability: when replica rep completes
// the service of attempt job (j, of request r, nil if r already ended), it
// returns the attempt's error probability given the core's base rate, and
// may record what state served it.
type ServeStamper interface {
	Served(rep *Replica, job Ref, j *Job, r *Request, base float64) float64
}

// Answerer is an optional Layer ability: it hears that attempt job's
// response (a success or a server error) reached its caller while request
// r still waited for it; job's slot is free again once the call returns.
type Answerer interface {
	Answered(job Ref, r *Request)
}

// Finisher is an optional Layer ability: when an attempt's service ends
// without error it may take the reply over (a data operation that runs
// first) and report true; it then calls World.Reply itself.
type Finisher interface {
	Finished(rep *Replica, ref Ref, j *Job) bool
}

// Responder is an optional Layer ability: it hears how each attempt went
// when its caller stops waiting for it, before the caller's guards do.
type Responder interface {
	Responded(j *Job, rep *Replica, rtt sim.Time, o Outcome)
}

// hooks holds the attached layers by ability, in attach order.
type hooks struct {
	layers     []Layer
	arrivers   []Arriver
	senders    []Sender
	answerers  []Answerer
	stampers   []ServeStamper
	finishers  []Finisher
	responders []Responder
}

// Attach adds layer l to the world. Attach layers before Start; hooks run
// in the order the layers were attached.
func (w *World) Attach(l Layer) {
	h := &w.hooks
	h.layers = append(h.layers, l)
	if a, ok := l.(Arriver); ok {
		h.arrivers = append(h.arrivers, a)
	}
	if s, ok := l.(Sender); ok {
		h.senders = append(h.senders, s)
	}
	if a, ok := l.(Answerer); ok {
		h.answerers = append(h.answerers, a)
	}
	if s, ok := l.(ServeStamper); ok {
		h.stampers = append(h.stampers, s)
	}
	if f, ok := l.(Finisher); ok {
		h.finishers = append(h.finishers, f)
	}
	if r, ok := l.(Responder); ok {
		h.responders = append(h.responders, r)
	}
}

// Layers lists the attached layers in attach order; a layer package finds
// its own there (see state.Of).
func (w *World) Layers() []Layer { return w.hooks.layers }
