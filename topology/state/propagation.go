package state

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"

	"github.com/tangle-sim/tangle/topology"
)

// ChannelKind is how holders of a key receive its desired value.
type ChannelKind uint8

const (
	// ChannelNone: nothing propagates the key; only reconcilers write it,
	// as controllers write Kubernetes objects.
	ChannelNone ChannelKind = iota
	// ChannelPush is xDS-like: the control plane debounces changes and
	// pushes the current version, per resource, over an ordered stream;
	// holders ACK or NACK (keeping their last good value); a holder cut
	// from the control plane keeps its last known good value and
	// reconnects with backoff, resyncing on reconnect.
	ChannelPush
	// ChannelPoll: every holder fetches the current value every interval
	// (flag SDKs in polling mode); a failed poll keeps the last value.
	ChannelPoll
	// ChannelStream: every change is sent at once over a long-lived
	// connection (server-sent events, LaunchDarkly's streaming); a broken
	// connection reconnects with jittered exponential backoff and resyncs.
	ChannelStream
)

var channelNames = [...]string{"none", "push", "poll", "stream"}

func (c ChannelKind) String() string {
	if int(c) < len(channelNames) {
		return channelNames[c]
	}
	return "channel(?)"
}

// ChannelKinds lists the channel names.
func ChannelKinds() []string { return channelNames[:] }

// ParseChannelKind maps a channel's name to the ChannelKind.
func ParseChannelKind(s string) (ChannelKind, error) {
	for i, n := range channelNames {
		if n == s {
			return ChannelKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown channel %q (want none, push, poll or stream)", s)
}

// Backoff is a reconnect backoff: attempt k (1-based) waits
// b = min(Initial·2^(k−1), Max) minus a uniform random fraction of up to
// Jitter of b. The attempt count resets when a connection has lasted Reset
// (0: as soon as a connection succeeds).
type Backoff struct {
	Initial sim.Time
	Max     sim.Time
	Jitter  float64 // 0.5: the delay is in [b/2, b]; 1: in [0, b) ("full jitter")
	Reset   sim.Time
}

// Delay is the wait before reconnect attempt k ≥ 1, with u uniform in [0, 1).
func (b Backoff) Delay(k int, u float64) sim.Time {
	d := b.Initial
	for i := 1; i < k && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d - sim.Time(u*b.Jitter*float64(d))
}

// ChannelSpec configures a key's channel.
type ChannelSpec struct {
	Kind ChannelKind
	// Push: a change is pushed once no other change came for Debounce, and
	// at the latest DebounceMax after the first change of the burst.
	Debounce, DebounceMax sim.Time
	// Poll: the interval between polls, each drawn uniformly within
	// ±Jitter of it; every holder's first poll falls uniformly in the first
	// interval, so holders do not poll in step.
	Interval sim.Time
	Jitter   float64
	// Push and stream: how a broken connection reconnects.
	Backoff Backoff
}

// DefaultChannel returns a channel of the given kind with its real
// system's documented defaults:
//
//   - push: Istio's debounce, PILOT_DEBOUNCE_AFTER 100 ms and
//     PILOT_DEBOUNCE_MAX 10 s (istio/istio pilot/pkg/features/pilot.go);
//     Envoy's xDS stream retry, 500 ms doubling to 30 s with full jitter,
//     reset once the stream is up (envoy source/common/config/grpc_stream.h,
//     JitteredExponentialBackOffStrategy);
//   - poll: LaunchDarkly's server SDK interval, 30 s, which is also its
//     minimum (PollingDataSourceBuilder.DEFAULT_POLL_INTERVAL); Unleash
//     polls every 15 s (UnleashClient refresh_interval);
//   - stream: LaunchDarkly's reconnect backoff, 1 s doubling to 30 s, each
//     delay reduced by up to 50% at random, reset after 60 s connected
//     (okhttp-eventsource DefaultRetryDelayStrategy; the SDK's
//     initialReconnectDelay 1 s; retryDelayResetThreshold 60 s).
func DefaultChannel(kind ChannelKind) ChannelSpec {
	switch kind {
	case ChannelPush:
		return ChannelSpec{Kind: kind, Debounce: 100 * sim.Millisecond, DebounceMax: 10 * sim.Second,
			Backoff: Backoff{Initial: 500 * sim.Millisecond, Max: 30 * sim.Second, Jitter: 1}}
	case ChannelPoll:
		return ChannelSpec{Kind: kind, Interval: 30 * sim.Second}
	case ChannelStream:
		return ChannelSpec{Kind: kind, Backoff: Backoff{Initial: sim.Second, Max: 30 * sim.Second, Jitter: 0.5, Reset: 60 * sim.Second}}
	}
	return ChannelSpec{Kind: ChannelNone}
}

// Validate reports an impossible channel setting.
func (c ChannelSpec) Validate() error {
	switch {
	case c.Kind > ChannelStream:
		return fmt.Errorf("unknown channel kind %d", c.Kind)
	case c.Kind == ChannelPoll && c.Interval <= 0:
		return fmt.Errorf("poll channel: interval must be positive")
	case !(c.Jitter >= 0 && c.Jitter < 1):
		return fmt.Errorf("poll jitter must be in [0, 1), got %g", c.Jitter)
	case c.Kind == ChannelPush && (c.Debounce < 0 || c.DebounceMax < c.Debounce):
		return fmt.Errorf("push channel: debounce must be at least 0 and at most the debounce maximum")
	case (c.Kind == ChannelPush || c.Kind == ChannelStream) && (c.Backoff.Initial <= 0 || c.Backoff.Max < c.Backoff.Initial ||
		!(c.Backoff.Jitter >= 0 && c.Backoff.Jitter <= 1) || c.Backoff.Reset < 0):
		return fmt.Errorf("reconnect backoff: need 0 < initial ≤ max, jitter in [0, 1], reset ≥ 0")
	}
	return nil
}

// link is one holder's connection for one key.
type link struct {
	node        *Node
	key         *Key
	spec        *ChannelSpec
	connected   bool
	attempts    int      // reconnect attempts since the last reset
	connectedAt sim.Time // when the current connection was made
	lastAt      sim.Time // arrival of the last delivery sent on it (ordered stream)
	gen         uint32   // invalidates pending poll and reconnect timers
}

// pushState is the push server's debounce state for one key.
type pushState struct {
	pending    bool
	burstStart sim.Time
	gen        uint32
}

// reachable reports whether the holder can talk to the control plane for
// its key now.
func (l *link) reachable() bool {
	return l.node.cut == 0 && l.node.syncFail[l.key.ID] == 0 && !l.node.Down()
}

// startLink (re)starts a holder's channel after delay: a connection for
// push and stream, the poll timer for poll.
func (s *State) startLink(l *link, delay sim.Time) {
	now := s.w.Eng.Now()
	l.gen++
	l.connected = false
	switch l.spec.Kind {
	case ChannelPush, ChannelStream:
		l.attempts = 0
		s.tasks.At(now+delay, task{kind: tReconnect, node: l.node.ID, key: int32(l.key.ID), gen: l.gen})
	case ChannelPoll:
		l.connected = true
		s.tasks.At(now+delay, task{kind: tPollTick, node: l.node.ID, key: int32(l.key.ID), gen: l.gen})
	}
}

// desiredChanged propagates a change of k's desired value: to the
// channels, to the controllers' informers, and to the control plane's view.
func (s *State) desiredChanged(k *Key) {
	now := s.w.Eng.Now()
	switch ch := s.channelOf(k); ch.Kind {
	case ChannelPush:
		p := &k.push
		at := now + ch.Debounce
		if !p.pending {
			p.pending, p.burstStart = true, now
		} else {
			at = min(at, p.burstStart+ch.DebounceMax)
		}
		p.gen++
		s.tasks.At(at, task{kind: tPush, node: -1, key: int32(k.ID), gen: p.gen})
	case ChannelStream:
		for _, h := range k.holders {
			if l := h.links[k.ID]; l != nil && l.connected {
				s.send(l, k.desired)
			}
		}
	}
	if k.Kind == Route {
		return
	}
	s.informDesired(k)
	s.reobserveKey(k)
	if k.Kind == Software {
		s.softwareChanged(k)
	}
}

// channelOf is the channel k's holders use under the configured flag side.
func (s *State) channelOf(k *Key) *ChannelSpec {
	if k.client {
		return &k.Spec.ClientChannel
	}
	return &k.Spec.Channel
}

// firePush is the end of a debounce: push the current version to every
// connected holder.
func (s *State) firePush(k *Key, gen uint32) {
	if gen != k.push.gen || !k.push.pending {
		return
	}
	k.push.pending = false
	for _, h := range k.holders {
		if l := h.links[k.ID]; l != nil && l.connected {
			s.send(l, k.desired)
		}
	}
}

// send puts version v on l's stream: it arrives after the network latency
// from the store, never before an earlier message on the same stream.
func (s *State) send(l *link, v Version) {
	now := s.w.Eng.Now()
	at := max(now+s.w.Net.Latency(s.store.place, l.node.Place), l.lastAt)
	l.lastAt = at
	s.tasks.At(at, task{kind: tDeliver, node: l.node.ID, key: int32(l.key.ID), ver: v})
}

// deliver is a channel message reaching its holder. delayed marks a
// message a config-skew fault already held back once.
func (s *State) deliver(n *Node, k *Key, v Version, delayed int32) {
	l := n.links[k.ID]
	if l == nil || !l.connected || !l.reachable() {
		return
	}
	if n.lost[k.ID] > 0 || n.pin[k.ID] > 0 {
		return
	}
	if d := n.late[k.ID]; d > 0 && delayed == 0 {
		s.tasks.At(s.w.Eng.Now()+d, task{kind: tDeliver, node: n.ID, key: int32(k.ID), ver: v, a: 1})
		return
	}
	s.Stats.Pushes++
	if !k.Valid(v) {
		s.Stats.NACKs++ // NACK: error_detail set, version_info stays the last applied one
		return
	}
	if s.setValue(n, k, Value{Version: v}) {
		s.applied(n, k)
	}
}

// pollTick is a holder's poll timer: ask the store for the current value.
func (s *State) pollTick(n *Node, k *Key, gen uint32) {
	l := n.links[k.ID]
	if l == nil || l.gen != gen {
		return
	}
	now := s.w.Eng.Now()
	if l.reachable() {
		s.tasks.At(now+s.w.Net.Latency(n.Place, s.store.place), task{kind: tPollServe, node: -1, item: n.ID, key: int32(k.ID)})
	}
	next := l.spec.Interval
	if j := l.spec.Jitter; j > 0 {
		next = sim.Time(float64(next) * (1 + j*(2*s.rng.Float64()-1)))
	}
	s.tasks.At(now+next, task{kind: tPollTick, node: n.ID, key: int32(k.ID), gen: gen})
}

// pollServe is a poll request reaching the store: answer with the current
// desired value.
func (s *State) pollServe(n *Node, k *Key) {
	s.tasks.At(s.w.Eng.Now()+s.w.Net.Latency(s.store.place, n.Place), task{kind: tDeliver, node: n.ID, key: int32(k.ID), ver: k.desired})
}

// disconnect breaks l's connection (the holder was cut off or its sync
// failed); it will try to reconnect with backoff.
func (s *State) disconnect(l *link) {
	if l.spec.Kind != ChannelPush && l.spec.Kind != ChannelStream || !l.connected {
		return
	}
	now := s.w.Eng.Now()
	l.connected = false
	if l.spec.Backoff.Reset > 0 && now-l.connectedAt >= l.spec.Backoff.Reset {
		l.attempts = 0
	}
	s.retry(l)
}

// retry schedules l's next reconnect attempt.
func (s *State) retry(l *link) {
	l.attempts++
	l.gen++
	d := l.spec.Backoff.Delay(l.attempts, s.rng.Float64())
	s.tasks.At(s.w.Eng.Now()+d, task{kind: tReconnect, node: l.node.ID, key: int32(l.key.ID), gen: l.gen})
}

// reconnect is a reconnect attempt: on success the holder resyncs at once.
func (s *State) reconnect(n *Node, k *Key, gen uint32) {
	l := n.links[k.ID]
	if l == nil || l.gen != gen || l.connected {
		return
	}
	if !l.reachable() {
		s.retry(l)
		return
	}
	l.connected = true
	l.connectedAt = s.w.Eng.Now()
	if l.spec.Backoff.Reset == 0 {
		l.attempts = 0
	}
	s.send(l, k.desired)
}

// Cut partitions node n from the control plane until the returned function
// is called (cuts nest): its channels disconnect and keep their last known
// good values, its lease and API calls fail, its reports and notifications
// are lost, and a member's watch breaks (it relists when healed).
func (s *State) Cut(n *Node) (heal func()) {
	n.cut++
	if n.cut == 1 {
		for _, l := range n.links {
			if l != nil {
				s.disconnect(l)
			}
		}
	}
	return topology.Once(func() {
		n.cut--
		if n.cut == 0 && n.member != nil {
			s.tasks.At(s.w.Eng.Now(), task{kind: tRelist, node: n.ID})
		}
	})
}

// FailSync stops node n from receiving key k from its channel until the
// returned function is called (an SDK whose stream is blocked or whose polls
// fail; nests). After it, the SDK reconnects per its backoff and resyncs.
func (s *State) FailSync(n *Node, k *Key) (restore func()) {
	n.syncFail[k.ID]++
	if l := n.links[k.ID]; l != nil && n.syncFail[k.ID] == 1 {
		s.disconnect(l)
	}
	return topology.Once(func() { n.syncFail[k.ID]-- })
}

// LoseUpdates makes channel deliveries of key k to node n vanish until the
// returned function is called (an update lost for a subset; nests). Lost
// updates stay lost: the holder keeps its value until a later delivery, a
// resync or a repair.
func (s *State) LoseUpdates(n *Node, k *Key) (restore func()) {
	n.lost[k.ID]++
	return topology.Once(func() { n.lost[k.ID]-- })
}

// DelayUpdates holds back every channel delivery of key k to node n by d
// until the returned function is called (a late update).
func (s *State) DelayUpdates(n *Node, k *Key, d sim.Time) (restore func()) {
	prev := n.late[k.ID]
	n.late[k.ID] = d
	return topology.Once(func() { n.late[k.ID] = prev })
}
