package topology

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/sim"
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
		s.schedule(s.w.Eng.Now()+every, task{kind: tMutate, node: -1, a: int32(idx), gen: mu.gen, item: 1})
	}
	return s.w.once(func() { mu.on = false; mu.gen++ })
}

// applied is called after the control plane applied a value to n's k:
// webhooks mutate it again.
func (s *State) applied(n *Node, k *Key) {
	for i, mu := range s.mutators {
		if mu.on && mu.node == n && mu.key == k && mu.every == 0 {
			s.schedule(s.w.Eng.Now()+mu.delay, task{kind: tMutate, node: -1, a: int32(i), gen: mu.gen})
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
		s.schedule(s.w.Eng.Now()+mu.every, task{kind: tMutate, node: -1, a: t.a, gen: mu.gen, item: 1})
	}
}

// Configure attaches the strategy side of the control plane (election,
// fencing, reconciler, rollout, where flags are evaluated) and assigns the
// holders of every key. Call it once, before World.Start.
func (s *State) Configure(c Control) error {
	if s.configured {
		return fmt.Errorf("state: configured twice")
	}
	s.ctl = c
	s.configured = true
	nrep := len(s.w.Replicas)
	for _, k := range s.Keys {
		ss := &s.services[k.Service.ID]
		_ = ss
		if k.Kind == Flag && c.Flags == FlagsClient {
			k.client = true
			for _, cl := range s.w.Callers {
				if cl.Client.Target == k.Service {
					k.holders = append(k.holders, s.Nodes[nrep+int(cl.ID)])
				}
			}
		} else {
			for _, r := range k.Service.Replicas {
				k.holders = append(k.holders, s.Nodes[r.ID])
			}
		}
		for _, h := range k.holders {
			h.held = append(h.held, k)
			h.values[k.ID] = Value{Version: 1}
			if k.Kind != Software {
				if ch := s.channelOf(k); ch.Kind != ChannelNone {
					h.links[k.ID] = &link{node: h, key: k, spec: ch}
				}
				s.store.object(h, k).version = 1
			}
			s.store.obs[int(h.ID)*s.store.keys+k.ID] = Value{Version: 1}
		}
	}
	for _, n := range s.Nodes {
		if len(n.held) > 0 && n.member == nil {
			s.counted++
		}
		if n.Replica != nil && n.member == nil && slices.ContainsFunc(n.held, func(k *Key) bool { return k.Kind != Software && !k.client }) {
			n.item = int32(len(s.items))
			s.items = append(s.items, n)
		}
	}
	s.initRollouts()
	return nil
}

// start schedules the state model's work: desired changes, the members'
// processes, the channels and the periodic reports. Called by World.Start.
func (s *State) start(horizon sim.Time) {
	if !s.configured {
		_ = s.Configure(Control{})
	}
	s.horizon = horizon
	for i, c := range s.Spec.Changes {
		if c.At < horizon {
			s.schedule(c.At, task{kind: tChange, node: -1, a: int32(i)})
		}
	}
	for _, k := range s.Keys {
		for _, h := range k.holders {
			l := h.links[k.ID]
			if l == nil {
				continue
			}
			switch l.spec.Kind {
			case ChannelPoll:
				// Holders start with the initial value; their polls are
				// spread over the first interval.
				l.connected = true
				l.gen++
				s.schedule(sim.Time(s.rng.Float64()*float64(l.spec.Interval)), task{kind: tPollTick, node: h.ID, key: int32(k.ID), gen: l.gen})
			default:
				l.connected, l.connectedAt = true, 0
			}
		}
	}
	for _, m := range s.members {
		if !m.node.Down() {
			s.memberBooted(m)
		}
	}
	s.schedule(0, task{kind: tReport, node: -1})
}

// runChange applies scheduled change i of desired state and schedules its
// repetition.
func (s *State) runChange(i int, repeat bool) {
	c := s.Spec.Changes[i]
	if repeat {
		c.Version = 0
	}
	if c.Key >= 0 {
		s.setDesired(s.Keys[s.softwareKeys()+c.Key], c.Version, c.Invalid)
	} else {
		s.setDesired(s.services[c.Service].software, c.Version, c.Invalid)
	}
	if c.Every > 0 {
		if next := s.w.Eng.Now() + c.Every; next < s.horizon {
			s.schedule(next, task{kind: tChange, node: -1, a: int32(i), item: 1})
		}
	}
}

// softwareKeys is the number of software keys, which come first in Keys.
func (s *State) softwareKeys() int {
	n := 0
	for _, k := range s.Keys {
		if k.Kind == Software {
			n++
		}
	}
	return n
}
