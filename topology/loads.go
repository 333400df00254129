package topology

// LoadScanner is an optional Endpoints ability for pickers that scan every
// host: when the load the view reports is the decider's own outstanding
// requests (LoadLocal), LocalLoads returns them as contiguous counts, so a
// scan reads integers instead of making an interface call per host. The
// load of host i of the view is loads[hosts[i]], exactly Load(i). ok is
// false for the other load sources; then use Load. The slices are the
// world's own: read them during the pick only, never write them.
type LoadScanner interface {
	LocalLoads() (loads, hosts []int32, ok bool)
}

// LocalLoads implements LoadScanner.
func (v *hostView) LocalLoads() (loads, hosts []int32, ok bool) {
	if v.w.routing.Load != LoadLocal {
		return nil, nil, false
	}
	return v.c.inflight, v.hosts, true
}
