package strategies

import "math/rand/v2"

// edf is Envoy's earliest-deadline-first scheduler for weighted round robin
// (envoyproxy/envoy source/common/upstream/edf_scheduler.h): every entry is
// a job with period 1/weight; a pick takes the entry with the earliest
// deadline (ties to the one queued first), advances the scheduler's clock to
// that deadline and queues the entry again at clock + 1/weight, with the
// weight it has at that moment. Over a cycle each entry is picked in
// proportion to its weight. Entries are small integers the owner maps to
// hosts. Picks cost O(log n) and do not allocate.
type edf struct {
	now   float64
	order uint64
	q     []edfEntry // binary min-heap by (deadline, order)
}

type edfEntry struct {
	deadline float64
	order    uint64
	entry    int32
}

// weigher gives an entry's current weight (> 0), read when it is queued.
type weigher interface {
	weight(entry int) float64
}

func (s *edf) reset() { s.now, s.order, s.q = 0, 0, s.q[:0] }

func (s *edf) len() int { return len(s.q) }

// add queues entry with deadline now + 1/w.
func (s *edf) add(entry int, w float64) {
	s.q = append(s.q, edfEntry{deadline: s.now + 1/w, order: s.order, entry: int32(entry)})
	s.order++
	s.up(len(s.q) - 1)
}

// pickAndAdd returns the entry with the earliest deadline and queues it
// again with the weight w gives it now. The scheduler must not be empty.
func (s *edf) pickAndAdd(w weigher) int {
	top := s.q[0]
	s.now = top.deadline
	s.q[0] = edfEntry{deadline: s.now + 1/w.weight(int(top.entry)), order: s.order, entry: top.entry}
	s.order++
	s.down(0)
	return int(top.entry)
}

// initWithPicks fills the scheduler with entries 0..n-1 as if it had been
// built empty, had them added in order and had then made picks picks with
// unchanging weights: Envoy's EdfScheduler::createWithPicks (PR #31592,
// used by the load balancers since PR #32233). Like Envoy it adds 1e-13 to
// every weight so that weights that are multiples of each other still
// give the picks an empty scheduler would, emulates floor(picks·w/W) picks
// per entry arithmetically and makes the few remaining ones for real.
// Cost O(n + n·log n).
func (s *edf) initWithPicks(n int, w weigher, picks uint32) {
	s.reset()
	picks %= 429496729 // Envoy: "% UINT_MAX/10", over 400M picks is plenty
	const eps = 1e-13
	sum := 0.0
	for i := 0; i < n; i++ {
		sum += w.weight(i) + eps
	}
	var done uint32
	for i := 0; i < n; i++ {
		wi := w.weight(i) + eps
		floor := uint32(wi * float64(picks) / sum)
		if floor > 0 && float64(floor)/wi >= float64(picks)/sum {
			floor-- // floating point disagreed with the maths; pick it for real below
		}
		s.now = max(s.now, float64(floor)/wi)
		s.q = append(s.q, edfEntry{deadline: float64(floor+1) / wi, order: uint64(i), entry: int32(i)})
		done += floor
	}
	s.order = uint64(n)
	for i := len(s.q)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
	for ; done < picks; done++ {
		s.pickAndAdd(w)
	}
}

// initRandom fills the scheduler with entries 0..n-1, each entry's first
// deadline drawn uniformly from [0, 1/w] with rng: the desynchronised start
// gRFC A58 prescribes for weighted_round_robin.
func (s *edf) initRandom(n int, w weigher, rng *rand.Rand) {
	s.reset()
	for i := 0; i < n; i++ {
		s.q = append(s.q, edfEntry{deadline: rng.Float64() / w.weight(i), order: uint64(i), entry: int32(i)})
	}
	s.order = uint64(n)
	for i := len(s.q)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
}

func (s *edf) less(i, j int) bool {
	a, b := &s.q[i], &s.q[j]
	return a.deadline < b.deadline || (a.deadline == b.deadline && a.order < b.order)
}

func (s *edf) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			return
		}
		s.q[i], s.q[p] = s.q[p], s.q[i]
		i = p
	}
}

func (s *edf) down(i int) {
	n := len(s.q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.q[i], s.q[m] = s.q[m], s.q[i]
		i = m
	}
}
