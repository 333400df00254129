package scenarios

import (
	"maps"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/state"
)

// Datastore is the scenario's data layer: data replicas placed in zones,
// how they replicate, the schema compatibility matrix, and what the
// clients' requests read and write.
type Datastore struct {
	Name              string         `yaml:"name" default:"db" doc:"name of the data replicas' service: faults target them as db-0, db-1, … (replica 0 is the primary in primary mode)"`
	Mode              string         `yaml:"mode" default:"leaderless" doc:"primary (one primary ships its log to replicas asynchronously: MySQL, PostgreSQL) or leaderless (Dynamo, Cassandra: quorums over each key's N replicas)"`
	Replicas          int            `yaml:"replicas" default:"3" doc:"data replicas"`
	Zones             []string       `yaml:"zones" doc:"places the data replicas are spread over, round robin (region or region/zone); default: every zone"`
	ReplicationFactor int            `yaml:"replication_factor" default:"3" doc:"leaderless: replicas per key, N (Cassandra replication_factor); at most replicas"`
	Keys              int            `yaml:"keys" default:"1000" doc:"data keys (partitions), numbered from 0"`
	ValueSize         int            `yaml:"value_size" default:"1024" doc:"bytes of one value: what writes, read repairs, hints and streamed keys carry"`
	ApplyTime         *Dist          `yaml:"apply_time" default:"100us" doc:"time a replica takes to apply one mutation; its apply capacity is 1/mean (a modelling choice, no system documents one)"`
	Lag               *Dist          `yaml:"lag" default:"0s" doc:"replication delay a mutation waits before joining a replica's apply queue (primary mode: the replicas; leaderless: every replica)"`
	Reconnect         Duration       `yaml:"reconnect" default:"5s" doc:"primary mode: how often a replica retries its broken replication connection (PostgreSQL wal_retrieve_retry_interval 5s)"`
	Compat            []CompatDecl   `yaml:"compat" doc:"the schema compatibility matrix: unlisted combinations work"`
	Workload          []WorkloadDecl `yaml:"workload" doc:"which clients' requests read and write data keys"`
	Updates           []UpdateDecl   `yaml:"updates" doc:"writes an operator issues at set times (a price change), compatible with every reader"`

	mode  data.Mode
	zones []topology.PlaceID
}

// CompatDecl is one entry of the schema compatibility matrix.
type CompatDecl struct {
	Op      string `yaml:"op,required" doc:"read or write"`
	Code    int    `yaml:"code,required" doc:"the schema the serving code speaks (state.versions[].schema)"`
	DB      int    `yaml:"db" default:"0" doc:"the data replica's schema (the value of its schema key); give db or row"`
	Row     int    `yaml:"row" default:"0" doc:"reads: the schema the row's writer spoke; give db or row"`
	Outcome string `yaml:"outcome,required" doc:"ok, fail (the operation errors), or corrupt (writes: stored malformed)"`

	rule state.CompatRule
}

// WorkloadDecl is what one client's requests do to the datastore.
type WorkloadDecl struct {
	Client   string  `yaml:"client,required" doc:"the client whose requests perform data operations (served by the replicas of the service it targets)"`
	Fraction Ratio   `yaml:"fraction" default:"100%" doc:"fraction of its requests that perform one data operation"`
	Reads    Ratio   `yaml:"reads" default:"95%" doc:"fraction of those that read; the rest write (YCSB workload B: 95%; A: 50%)"`
	Keys     int     `yaml:"keys" default:"0" doc:"it uses keys 0 to keys−1; 0: every key"`
	Zipf     float64 `yaml:"zipf" default:"0.99" doc:"zipfian constant of key popularity, in [0, 1): key i is drawn ∝ 1/(i+1)^zipf (YCSB 0.99); 0 is uniform"`
}

// UpdateDecl is an operator's scheduled write.
type UpdateDecl struct {
	At    Duration `yaml:"at,required" doc:"when"`
	Key   int      `yaml:"key" default:"0" doc:"the data key written"`
	Every Duration `yaml:"every" default:"0s" doc:"repeat every this long until the end; 0: once"`
}

// datastoreName is the data replicas' service name, or "".
func (sc *Scenario) datastoreName() string {
	if sc.State == nil || sc.State.Datastore == nil {
		return ""
	}
	return sc.State.Datastore.Name
}

// datastoreDefaults fills in what the datastore section left out.
func (sc *Scenario) datastoreDefaults(d *decoder) {
	ds := sc.State.Datastore
	if ds == nil {
		return
	}
	p := "state.datastore"
	if ds.Name == "" {
		ds.Name = "db"
	}
	if ds.Mode == "" {
		ds.Mode = "leaderless"
	}
	if !d.has(join(p, "replicas")) {
		ds.Replicas = 3
	}
	if !d.has(join(p, "replication_factor")) {
		ds.ReplicationFactor = min(3, max(ds.Replicas, 1))
	}
	if !d.has(join(p, "keys")) {
		ds.Keys = 1000
	}
	if !d.has(join(p, "value_size")) {
		ds.ValueSize = 1024
	}
	if ds.ApplyTime == nil {
		ds.ApplyTime = &Dist{Dist: sim.Constant{V: data.DefaultApplyTime.Seconds()}, Text: "100us"}
	}
	if !d.has(join(p, "reconnect")) {
		ds.Reconnect = Duration(data.DefaultReconnect)
	}
	for i := range ds.Workload {
		w := &ds.Workload[i]
		wp := index(join(p, "workload"), i)
		if !d.has(join(wp, "fraction")) {
			w.Fraction = 1
		}
		if !d.has(join(wp, "reads")) {
			w.Reads = 0.95
		}
		if !d.has(join(wp, "zipf")) {
			w.Zipf = 0.99
		}
	}
}

// validateDatastore checks the datastore section.
func (sc *Scenario) validateDatastore(d *decoder) {
	ds := sc.State.Datastore
	if ds == nil {
		return
	}
	p := "state.datastore"
	if strings.TrimSpace(ds.Name) == "" || slices.Contains(sc.serviceNames(), ds.Name) || ds.Name == sc.controlPlaneName() {
		d.errorPath(join(p, "name"), "", "must be a name no service or control plane uses, got %q", ds.Name)
	}
	mode, err := data.ParseMode(ds.Mode)
	if err != nil {
		d.errorPath(join(p, "mode"), didYouMean(ds.Mode, []string{"primary", "leaderless"}), "expected primary or leaderless, got %q", ds.Mode)
	}
	ds.mode = mode
	if ds.Replicas < 1 || ds.Replicas > 4096 {
		d.errorPath(join(p, "replicas"), "", "must be between 1 and 4096, got %d", ds.Replicas)
	}
	if mode == data.Leaderless && (ds.ReplicationFactor < 1 || ds.ReplicationFactor > ds.Replicas) {
		d.errorPath(join(p, "replication_factor"), "", "must be between 1 and replicas (%d), got %d", ds.Replicas, ds.ReplicationFactor)
	}
	if ds.Keys < 1 || ds.Keys > 1<<24 {
		d.errorPath(join(p, "keys"), "", "must be between 1 and %d, got %d", 1<<24, ds.Keys)
	}
	if ds.ValueSize < 1 {
		d.errorPath(join(p, "value_size"), "", "must be at least 1 byte, got %d", ds.ValueSize)
	}
	if ds.Reconnect <= 0 {
		d.errorPath(join(p, "reconnect"), "", "must be positive, got %v", ds.Reconnect)
	}
	ds.zones = nil
	for j, z := range ds.Zones {
		ids, err := sc.placesOf(z)
		if err != nil {
			d.errorPath(index(join(p, "zones"), j), sc.placeHint(z), "%v", err)
			continue
		}
		ds.zones = append(ds.zones, ids...)
	}
	if len(ds.Zones) == 0 {
		for i := range sc.places {
			ds.zones = append(ds.zones, topology.PlaceID(i))
		}
	}
	for i := range ds.Compat {
		c := &ds.Compat[i]
		cp := index(join(p, "compat"), i)
		r := state.CompatRule{Write: c.Op == "write", Code: state.Version(max(c.Code, 0)), DB: state.Version(max(c.DB, 0)), Row: state.Version(max(c.Row, 0))}
		if c.Op != "read" && c.Op != "write" {
			d.errorPath(join(cp, "op"), didYouMean(c.Op, []string{"read", "write"}), "expected read or write, got %q", c.Op)
		}
		if c.Code < 1 {
			d.errorPath(join(cp, "code"), "", "must be at least 1, got %d", c.Code)
		}
		switch {
		case c.DB < 0 || c.Row < 0:
			d.errorPath(cp, "", "db and row must not be negative")
		case (c.DB == 0) == (c.Row == 0):
			d.errorPath(cp, "", "a rule names either db (the replica's schema) or row (the row writer's schema)")
		case c.Op == "write" && c.Row != 0:
			d.errorPath(join(cp, "row"), "use db", "write rules name the replica's schema, not rows")
		}
		o, err := state.ParseCompatOutcome(c.Outcome)
		switch {
		case err != nil:
			d.errorPath(join(cp, "outcome"), didYouMean(c.Outcome, []string{"ok", "fail", "corrupt"}), "expected ok, fail or corrupt, got %q", c.Outcome)
		case o == state.CompatCorrupt && c.Op == "read":
			d.errorPath(join(cp, "outcome"), "", "reads work or fail; only writes corrupt")
		}
		r.Outcome = o
		c.rule = r
	}
	var clients []string
	for _, c := range sc.Topology.Clients {
		clients = append(clients, c.Name)
	}
	seen := map[string]bool{}
	for i, w := range ds.Workload {
		wp := index(join(p, "workload"), i)
		if !slices.Contains(clients, w.Client) {
			d.errorPath(join(wp, "client"), didYouMean(w.Client, clients), "unknown client %q; clients are %s", w.Client, strings.Join(clients, ", "))
		}
		if seen[w.Client] {
			d.errorPath(join(wp, "client"), "", "client %q has two workloads", w.Client)
		}
		seen[w.Client] = true
		if !(w.Fraction > 0 && w.Fraction <= 1) {
			d.errorPath(join(wp, "fraction"), "", "must be a ratio in (0, 1], got %g", float64(w.Fraction))
		}
		if !(w.Reads >= 0 && w.Reads <= 1) {
			d.errorPath(join(wp, "reads"), "", "must be a ratio in [0, 1], got %g", float64(w.Reads))
		}
		if w.Keys < 0 || w.Keys > ds.Keys {
			d.errorPath(join(wp, "keys"), "", "must be between 0 (every key) and the store's keys (%d), got %d", ds.Keys, w.Keys)
		}
		if !(w.Zipf >= 0 && w.Zipf < 1) {
			d.errorPath(join(wp, "zipf"), "", "must be in [0, 1) (YCSB uses 0.99), got %g", w.Zipf)
		}
	}
	for i, u := range ds.Updates {
		up := index(join(p, "updates"), i)
		if u.At < 0 || (sc.Duration > 0 && u.At >= sc.Duration) {
			d.errorPath(join(up, "at"), "", "must be within the run (0 to %v), got %v", sc.Duration, u.At)
		}
		if u.Key < 0 || u.Key >= ds.Keys {
			d.errorPath(join(up, "key"), "", "must be a key of the store (0 to %d), got %d", ds.Keys-1, u.Key)
		}
		if u.Every < 0 {
			d.errorPath(join(up, "every"), "", "must not be negative")
		}
	}
}

// validateStrategyData checks a strategy's data: settings.
func (sc *Scenario) validateStrategyData(d *decoder, p string, s *Strategy) {
	if !d.has(join(p, "data")) {
		return
	}
	if sc.datastoreName() == "" {
		d.errorPath(join(p, "data"), "add state.datastore", "data settings need a datastore")
		return
	}
	vals, ok := readParams(d, join(p, "data"), "data", strategies.DataParams, s.Data)
	if !ok {
		return
	}
	pol := strategies.DataPolicy(vals)
	if ds := sc.State.Datastore; ds.mode == data.Leaderless {
		for _, x := range []struct {
			name  string
			level int
		}{{"read", pol.Read}, {"write", pol.Write}} {
			if x.level > ds.ReplicationFactor {
				d.errorPath(join(join(p, "data"), x.name), "", "%d replicas must answer, but each key has only %d (replication_factor)", x.level, ds.ReplicationFactor)
			}
		}
	}
	s.dataParams = vals
}

// datastoreService is the world service of the data replicas.
func (sc *Scenario) datastoreService() (topology.ServiceSpec, bool) {
	name := sc.datastoreName()
	if name == "" {
		return topology.ServiceSpec{}, false
	}
	ds := sc.State.Datastore
	return topology.ServiceSpec{Name: name, Replicas: ds.Replicas, Concurrency: 1, QueueCapacity: topology.Unbounded,
		ServiceTime: sim.Constant{V: 0.001}, Places: slices.Clone(ds.zones)}, true
}

// dataSpec compiles the datastore section; svc is the index of the data
// replicas' service in the world spec.
func (sc *Scenario) dataSpec(svc int) *data.Spec {
	ds := sc.State.Datastore
	spec := &data.Spec{Service: svc, Mode: ds.mode, Keys: ds.Keys, RF: ds.ReplicationFactor, Size: ds.ValueSize,
		ApplyTime: ds.ApplyTime.Dist, Reconnect: ds.Reconnect.T()}
	if ds.Lag != nil && ds.Lag.Mean() > 0 {
		spec.Lag = ds.Lag.Dist
	}
	for _, c := range ds.Compat {
		spec.Compat = append(spec.Compat, c.rule)
	}
	for _, w := range ds.Workload {
		ci := slices.IndexFunc(sc.Topology.Clients, func(c Client) bool { return c.Name == w.Client })
		spec.Workload = append(spec.Workload, data.Workload{Client: ci, Fraction: float64(w.Fraction), Reads: float64(w.Reads), Keys: w.Keys, Zipf: w.Zipf})
	}
	for _, u := range ds.Updates {
		spec.Updates = append(spec.Updates, data.Update{At: u.At.T(), Key: u.Key, Every: u.Every.T()})
	}
	return spec
}

// dataPolicy is strategy i's data policy (the defaults when it sets none).
func (sc *Scenario) dataPolicy(i int) data.Policy {
	if p := sc.Strategies[i].dataParams; p != nil {
		return strategies.DataPolicy(p)
	}
	return strategies.DefaultDataPolicy()
}

// dataChoice describes strategy i's data settings for reports.
func (sc *Scenario) dataChoice(i int) string {
	s := &sc.Strategies[i]
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Data)) {
		parts = append(parts, k+"="+sim.FormatValue(s.dataParams[k]))
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, " ")
}

// attachData attaches the datastore's metrics to a built world.
func (sc *Scenario) attachData(w *topology.World, rec *metrics.Recorder, cfg metrics.Config) {
	if _, ok := data.Of(w); ok {
		metrics.NewData(w, cfg, rec)
	}
}
