package state

import (
	"github.com/tangle-sim/tangle/sim"

	"github.com/tangle-sim/tangle/topology"
)

// Foreign writers: someone other than the control plane changing live
// state — a manual edit, a mutating admission webhook, an HPA rewriting a
// field. Their writes make values foreign (never equal to any desired
// value): drift that only a reconciler, a resync or the next delivery
// undoes. A webhook mutates again after every apply, so a reconciler that
// keeps re-applying fights it: reconciliation thrash emerges.

type mutator struct {
	node  *Node
	key   *Key
	delay sim.Time // webhook: from an apply to the mutation
	every sim.Time // periodic: between mutations
	gen   uint32
	on    bool
}

// Mutate makes a foreign writer change what node n holds for k, now. For a
// key only controllers write, the object in the store changes too (the
// writer edited the object itself).
func (s *State) Mutate(n *Node, k *Key) {
	if !s.holds(n, k) {
		return
	}
	v := n.values[k.ID]
	if n.links[k.ID] == nil {
		obj := s.store.object(n, k)
		obj.foreign = true
		v.Version = obj.version
	}
	v.Foreign = true
	s.setValue(n, k, v)
}

// Webhook installs a foreign writer on node n's key k until the returned
// function is called: it mutates the value once now, then delay after
// every apply by the control plane (a mutating webhook). every > 0 also
// mutates it every `every` whatever happens (a periodic second writer).
func (s *State) Webhook(n *Node, k *Key, delay, every sim.Time) (remove func()) {
	mu := &mutator{node: n, key: k, delay: delay, every: every, on: true}
	s.mutators = append(s.mutators, mu)
	idx := len(s.mutators) - 1
	s.Mutate(n, k)
	if every > 0 {
		s.tasks.At(s.w.Eng.Now()+every, task{kind: tMutate, node: -1, a: int32(idx), gen: mu.gen, item: 1})
	}
	return topology.Once(func() { mu.on = false; mu.gen++ })
}

// applied is called after the control plane applied a value to n's k:
// webhooks mutate it again.
func (s *State) applied(n *Node, k *Key) {
	for i, mu := range s.mutators {
		if mu.on && mu.node == n && mu.key == k && mu.every == 0 {
			s.tasks.At(s.w.Eng.Now()+mu.delay, task{kind: tMutate, node: -1, a: int32(i), gen: mu.gen})
		}
	}
}

func (s *State) mutateTask(t *task) {
	mu := s.mutators[t.a]
	if !mu.on || t.gen != mu.gen {
		return
	}
	s.Mutate(mu.node, mu.key)
	if t.item == 1 {
		s.tasks.At(s.w.Eng.Now()+mu.every, task{kind: tMutate, node: -1, a: t.a, gen: mu.gen, item: 1})
	}
}
