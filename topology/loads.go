package topology

// LoadScanner is an optional Endpoints ability for pickers that scan every
// host: when the load the view reports is the decider's own outstanding
// requests (LoadLocal), LocalLoads returns them as contiguous counts, so a
// scan reads integers instead of making an interface call per host. The
// load of host i of the view is loads[hosts[i]], exactly Load(i); hosts
// is in increasing order (so when len(hosts) == len(loads), host i of the
// view is replica i). ok is
// false for the other load sources; then use Load. The slices are the
// world's own: read them during the pick only, never write them.
type LoadScanner interface {
	LocalLoads() (loads, hosts []int32, ok bool)
}

// LeastScanner is an optional LoadScanner ability: when the view is every
// replica of the target (len(hosts) == len(loads) from LocalLoads), the
// least of the local loads and how many replicas have it, kept up to date
// as the counts change, so a full scan need not compute them. ok is false
// for other views and load sources.
type LeastScanner interface {
	LocalLeast() (least int32, ties int, ok bool)
}

// LocalLoads implements LoadScanner.
func (v *hostView) LocalLoads() (loads, hosts []int32, ok bool) {
	if v.w.routing.Load != LoadLocal {
		return nil, nil, false
	}
	return v.c.inflight.makeDense(), v.hosts, true
}

// LocalLeast implements LeastScanner.
func (v *hostView) LocalLeast() (least int32, ties int, ok bool) {
	c := &v.c.inflight
	if v.w.routing.Load != LoadLocal || len(v.hosts) != c.n || c.n == 0 {
		return 0, 0, false
	}
	c.makeDense()
	if c.hist == nil {
		c.startHist()
	}
	return c.least, int(c.hist[c.least]), true
}

// loadCounts is a caller's outstanding attempts per replica of its target.
// A caller has few attempts outstanding at a time, so until a scanning
// picker asks for contiguous counts (LocalLoads) they live in a small
// open-addressing table of the replicas with attempts outstanding (linear
// probing, backward-shift deletion): a thousand callers of five thousand
// replicas keep a few cache lines each instead of 20 KB each, and a pick
// touches memory that stays in cache. The first LocalLoads makes them
// dense (one count per replica) for the rest of the run; so do few
// replicas (denseLoadsMax) from the start. Either way get
// and add are O(1) (expected, for the table).
type loadCounts struct {
	dense []int32    // one count per replica once dense; nil while sparse
	hist  []int32    // once a scan asks (LocalLeast): replicas per count, while dense
	least int32      // the least count, with hist
	slots []loadSlot // the table while sparse; len a power of two
	used  int        // slots in use
	n     int        // replicas
}

// loadSlot is one table entry: replica index+1 (0: empty) and its count.
type loadSlot struct{ key, val int32 }

// denseLoadsMax is the most replicas for which a caller's counts start
// dense: up to 512 bytes a caller, in cache anyway, where a table lookup
// would only add work (the 100-replica fleet yardstick runs 6% slower
// with tables).
const denseLoadsMax = 128

func newLoadCounts(replicas int) loadCounts {
	if replicas <= denseLoadsMax {
		return loadCounts{dense: make([]int32, replicas), n: replicas}
	}
	return sparseLoadCounts(replicas)
}

// sparseLoadCounts are counts that start as a table, whatever the number
// of replicas.
func sparseLoadCounts(replicas int) loadCounts {
	return loadCounts{slots: make([]loadSlot, 8), n: replicas}
}

// home is the slot replica h hashes to (Fibonacci hashing).
func (c *loadCounts) home(h int32) int {
	return int(uint32(h+1)*0x9E3779B1) & (len(c.slots) - 1)
}

// get is the count of replica h.
func (c *loadCounts) get(h int32) int32 {
	if c.dense != nil {
		return c.dense[h]
	}
	mask := len(c.slots) - 1
	for i := c.home(h); ; i = (i + 1) & mask {
		switch c.slots[i].key {
		case h + 1:
			return c.slots[i].val
		case 0:
			return 0
		}
	}
}

// add adds d to the count of replica h; counts never go negative.
func (c *loadCounts) add(h, d int32) {
	if c.dense != nil {
		old := c.dense[h]
		c.dense[h] = old + d
		if c.hist != nil {
			c.move(old, old+d)
		}
		return
	}
	mask := len(c.slots) - 1
	i := c.home(h)
	for ; c.slots[i].key != 0; i = (i + 1) & mask {
		if c.slots[i].key == h+1 {
			c.slots[i].val += d
			if c.slots[i].val == 0 {
				c.remove(i)
			}
			return
		}
	}
	if d == 0 {
		return
	}
	c.slots[i] = loadSlot{key: h + 1, val: d}
	c.used++
	if 4*c.used > 3*len(c.slots) {
		c.rehash(2 * len(c.slots))
	}
}

// remove empties slot i and shifts back the entries of its probe run.
func (c *loadCounts) remove(i int) {
	mask := len(c.slots) - 1
	c.used--
	for j := (i + 1) & mask; c.slots[j].key != 0; j = (j + 1) & mask {
		k := c.home(c.slots[j].key - 1)
		// Move slot j into the hole at i when its home is not in (i, j].
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			c.slots[i] = c.slots[j]
			i = j
		}
	}
	c.slots[i] = loadSlot{}
}

func (c *loadCounts) rehash(size int) {
	old := c.slots
	c.slots, c.used = make([]loadSlot, size), 0
	for _, s := range old {
		if s.key != 0 {
			c.add(s.key-1, s.val)
		}
	}
}

// startHist counts the replicas per count and finds the least. O(n).
func (c *loadCounts) startHist() {
	c.hist, c.least = make([]int32, 4), 0
	for i, v := range c.dense {
		c.hist = growCounts(c.hist, int(v)+1)
		c.hist[v]++
		if i == 0 || v < c.least {
			c.least = v
		}
	}
}

// move notes one replica's count going from old to now in hist.
// Amortised O(1) for steps of ±1.
func (c *loadCounts) move(old, now int32) {
	c.hist = growCounts(c.hist, int(now)+1)
	c.hist[old]--
	c.hist[now]++
	switch {
	case now < c.least:
		c.least = now
	case old == c.least && c.hist[old] == 0:
		for c.hist[c.least] == 0 {
			c.least++
		}
	}
}

// growCounts returns s with length at least n, new elements zero.
func growCounts(s []int32, n int) []int32 {
	if n <= len(s) {
		return s
	}
	return append(s, make([]int32, n-len(s))...)
}

// makeDense switches to one count per replica and returns them.
func (c *loadCounts) makeDense() []int32 {
	if c.dense == nil {
		c.dense = make([]int32, c.n)
		for _, s := range c.slots {
			if s.key != 0 {
				c.dense[s.key-1] = s.val
			}
		}
		c.slots, c.used = nil, 0
	}
	return c.dense
}

// callerShare is what every caller of one service at one place sees alike,
// stored once per world rather than once per caller: the list of all the
// service's replicas (0..n-1) and their priorities relative to the place.
type callerShare struct {
	all  map[int][]int32        // by service ID
	prio map[callerPlace][]int8 // by (place, service ID)
}

type callerPlace struct {
	place PlaceID
	svc   int
}

// hosts is the list 0..n-1 of svc's replicas, shared by its callers.
func (s *callerShare) hosts(svc *Service) []int32 {
	if all, ok := s.all[svc.ID]; ok && len(all) == len(svc.Replicas) {
		return all
	}
	if s.all == nil {
		s.all = map[int][]int32{}
	}
	all := make([]int32, len(svc.Replicas))
	for i := range all {
		all[i] = int32(i)
	}
	s.all[svc.ID] = all
	return all
}

// priorities are svc's replicas' priorities for a caller at place: 0 in
// its zone, 1 elsewhere in its region, 2 in other regions.
func (s *callerShare) priorities(places []Place, place PlaceID, svc *Service) []int8 {
	key := callerPlace{place, svc.ID}
	if prio, ok := s.prio[key]; ok && len(prio) == len(svc.Replicas) {
		return prio
	}
	if s.prio == nil {
		s.prio = map[callerPlace][]int8{}
	}
	prio := make([]int8, len(svc.Replicas))
	for i, r := range svc.Replicas {
		switch here, there := places[place], places[r.Place]; {
		case r.Place == place:
			prio[i] = 0
		case here.Region == there.Region:
			prio[i] = 1
		default:
			prio[i] = 2
		}
	}
	s.prio[key] = prio
	return prio
}

// isEjected reports whether c has ejected replica index h.
func (c *Caller) isEjected(h int32) bool { return c.ejected != nil && c.ejected[h] }
