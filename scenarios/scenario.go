package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/scenarios/configimport"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
)

// FormatVersion is the scenario file format this build reads.
const FormatVersion = 1

// Scenario is a parsed, validated scenario file with defaults filled in.
// Every field's YAML key, unit and default is documented in its tags; the
// format reference under docs/ is generated from them.
type Scenario struct {
	Name           string     `yaml:"name,required" doc:"short identifier, used in reports and file names"`
	Description    string     `yaml:"description" doc:"what the scenario demonstrates, one or two sentences"`
	Seed           uint64     `yaml:"seed" default:"1" doc:"master random seed; every component's stream derives from it"`
	Duration       Duration   `yaml:"duration,required" doc:"simulated time during which clients generate requests"`
	Warmup         Duration   `yaml:"warmup" default:"0s" doc:"initial period excluded from the summary (its requests still run)"`
	Replications   int        `yaml:"replications" default:"1" doc:"independent runs with derived seeds; metrics report mean and 95% CI across them"`
	Drain          Duration   `yaml:"drain" default:"10m" doc:"after duration, how long to follow requests still in flight before ending them as dropped (unfinished)"`
	SeriesInterval Duration   `yaml:"series_interval" default:"auto" doc:"time-series bucket width; auto is 1s widened so a run has at most ~2000 buckets"`
	Topology       Topology   `yaml:"topology,required" doc:"the simulated system"`
	Strategies     []Strategy `yaml:"strategies" doc:"routing strategies compared side by side on common random numbers; default: one round-robin strategy"`
	Faults         []Fault    `yaml:"faults" doc:"faults injected during the run, the same for every strategy (see tangle list faults)"`
	SLOs           []SLO      `yaml:"slos" doc:"service level objectives: error budgets and SRE Workbook burn-rate alerts; a missed objective or a page fails the run (exit code 1)"`
	Checks         []Check    `yaml:"checks" doc:"thresholds on metrics, over the run or before/during/after the faults; any failure makes the run exit with code 1"`
	State          *State     `yaml:"state" doc:"desired-vs-actual state model: keys, versions, control plane and changes (decoherence; see state.go)"`

	// Source is where the scenario came from: a file path or builtin:NAME.
	Source string `yaml:"-"`
	// Hash is the SHA-256 of the scenario file's bytes, hex (before
	// overrides, which are listed in Overrides).
	Hash string `yaml:"-"`
	// Overrides are the --set values applied to the file, in order.
	Overrides []Override `yaml:"-"`
	// Warnings name the fields of imported configuration files (from:)
	// that tangle does not model, each positioned in its file.
	Warnings []string `yaml:"-"`

	places []topology.Place
	pos    map[string]Pos
	root   *yaml.Node // the file as parsed, overrides applied (for YAML)
}

// Topology is the simulated system.
type Topology struct {
	Regions   []Region  `yaml:"regions" doc:"regions and their zones; default: one region local with zone a"`
	Network   Network   `yaml:"network" doc:"one-way latency between places"`
	Services  []Service `yaml:"services,required" doc:"the services requests are sent to"`
	Clients   []Client  `yaml:"clients,required" doc:"request generators"`
	Telemetry Telemetry `yaml:"telemetry" doc:"the signal bus that carries replica load to deciders"`

	Edges []EdgeNode `yaml:"edges" doc:"edge gateways with capacity (concurrency, queue), their own route timeout and retries, that faults can target; clients enter through one with edge: NAME (see edges.go)"`
}

// Region is a region and its zones.
type Region struct {
	Name  string   `yaml:"name,required" doc:"region name, e.g. us-east"`
	Zones []string `yaml:"zones" default:"[a]" doc:"zone names within the region"`
	// Region sensors, read by routing decision engines (controller:).
	Cost   float64  `yaml:"cost" default:"0" doc:"price of serving one request in the region (the cost signal and billing; any currency unit)"`
	Threat Ratio    `yaml:"threat" default:"0" doc:"baseline threat score from the region's security sensor, 0..1"`
	Lag    Duration `yaml:"lag" default:"0s" doc:"baseline replication lag of the region's data; in a region with running data replicas of a state.datastore the sensor reads their measured lag instead (pt-heartbeat style, sampled every second)"`
}

// Network is the latency model between places.
type Network struct {
	SameZone    *Dist  `yaml:"same_zone" default:"0s" doc:"one-way latency inside a zone (a duration or a distribution)"`
	SameRegion  *Dist  `yaml:"same_region" default:"0s" doc:"one-way latency between zones of one region"`
	CrossRegion *Dist  `yaml:"cross_region" default:"0s" doc:"one-way latency between regions"`
	Links       []Link `yaml:"links" doc:"latency between specific places, overriding the defaults above"`
}

// Link sets the latency between two places (regions or region/zone).
type Link struct {
	Between []string `yaml:"between,required" doc:"two places: region names or region/zone"`
	Latency *Dist    `yaml:"latency,required" doc:"one-way latency (a duration or a distribution)"`
}

// Service is a set of identical replicas.
type Service struct {
	Name        string          `yaml:"name,required" doc:"service name"`
	Replicas    int             `yaml:"replicas" default:"1" doc:"number of replicas"`
	Concurrency int             `yaml:"concurrency" default:"1" doc:"requests each replica serves at once"`
	Queue       QueueCap        `yaml:"queue" default:"unbounded" doc:"waiting requests per replica before it rejects: unbounded or a number"`
	ServiceTime *Dist           `yaml:"service_time,required" doc:"time to serve one request (a duration or a distribution)"`
	ErrorRate   Ratio           `yaml:"error_rate" default:"0" doc:"probability that a served request fails (0.01 or 1%)"`
	Zones       []string        `yaml:"zones" doc:"places the replicas are spread over, round robin (region or region/zone); default: the first zone"`
	Calls       []CallStep      `yaml:"calls" doc:"what a replica calls once its own work on a request is done: steps in sequence, each one call or a parallel group; the request fails if a required call does"`
	NonBlocking bool            `yaml:"non_blocking" default:"false" doc:"free the replica's slot while it waits on its calls; by default (thread-per-request) the slot stays held"`
	Operations  []OperationSpec `yaml:"operations" doc:"the kinds of request it serves (GET /cart, POST /checkout), each with its share, its own service time and its own calls; a request asks for the operation its client or call names, or one drawn by weight; with operations, calls go in each operation"`
	// Autoscaling: a pool of max_replicas, replicas of them ready at the start.
	MaxReplicas      int      `yaml:"max_replicas" default:"0" doc:"make the service autoscalable: a pool of this many replicas, of which replicas are ready at the start; a strategy's autoscaling entry scales it within the pool (otherwise it stays at replicas); 0: no pool"`
	ReadyAfter       Duration `yaml:"ready_after" default:"10s" doc:"with max_replicas: from a new pod's creation to its readiness (scheduling, container start, the first passing readiness probe, whose periodSeconds defaults to 10s)"`
	ColdStartFactor  float64  `yaml:"cold_start_factor" default:"10" doc:"with max_replicas: a new pod starts cold, its service times multiplied by 1 + factor·e^(−t/cold_start_tau) after it becomes ready (the cold-start fault's model and defaults); 0: it starts warm"`
	ColdStartTau     Duration `yaml:"cold_start_tau" default:"30s" doc:"with max_replicas: the cold start's time constant"`
	TerminationGrace Duration `yaml:"termination_grace" default:"30s" doc:"with max_replicas: a pod scaled down drains its work for at most this long, then what is left is lost (Kubernetes terminationGracePeriodSeconds, default 30s)"`
}

// Client is a population of callers sending requests to one service.
type Client struct {
	Name      string     `yaml:"name,required" doc:"client name"`
	Target    string     `yaml:"target,required" doc:"the service it calls: any service, also one in the middle of a call graph (its requests and the calls of the services above it are then counted together per service)"`
	Rate      Rate       `yaml:"rate,required" doc:"arrival rate, e.g. 90/s, 5400/min"`
	Arrival   string     `yaml:"arrival" default:"poisson" doc:"arrival process: poisson or constant"`
	Schedule  []RateStep `yaml:"schedule" doc:"rate changes over time: steps, spikes and ramps"`
	Timeout   Duration   `yaml:"timeout" default:"0s" doc:"per-request timeout from generation; 0 means none"`
	Callers   int        `yaml:"callers" default:"1" doc:"calling instances, each with its own sidecar deciding alone"`
	Zone      string     `yaml:"zone" doc:"where the callers run (region or region/zone); default: the first zone"`
	Edge      EdgeUse    `yaml:"edge" default:"false" doc:"true: route through a capacity-free edge gateway that first picks a region of the target; or the name of a declared edge (topology.edges) to enter through"`
	Residency []string   `yaml:"residency" doc:"regions its users' data may be served in (data residency): a residency policy enforces it, residency_violation_rate counts requests served elsewhere; default: anywhere"`
	Operation string     `yaml:"operation" doc:"the operation of its target its requests ask for (topology.services[].operations); default: one drawn by the operations' weights"`
}

// RateStep changes a client's rate at a time: a step (rate), a spike
// (rate for a duration, then back) or a ramp (to rate over a duration).
type RateStep struct {
	At       Duration `yaml:"at,required" doc:"when the change starts"`
	Rate     Rate     `yaml:"rate,required" doc:"the new rate"`
	Duration Duration `yaml:"duration" doc:"for a spike: how long the rate holds before returning to the previous rate"`
	Ramp     Duration `yaml:"ramp" doc:"for a ramp: how long the rate takes to move linearly to the new rate"`
}

// Telemetry configures the signal bus.
type Telemetry struct {
	Interval Duration `yaml:"interval" default:"1s" doc:"how often each replica's load is measured; 0 disables the bus"`
	Delay    Duration `yaml:"delay" default:"0s" doc:"from measurement to delivery at the deciders"`
}

// Strategy is one routing configuration to compare.
type Strategy struct {
	Name string `yaml:"name,required" doc:"label in reports; unique within the scenario"`
	// From imports the strategy's parameters from a real configuration file.
	From    string     `yaml:"from" doc:"take routing, params, panic_threshold, retries, guards, rollout and autoscaling from a real configuration file (an Envoy Cluster or RouteConfiguration, Istio DestinationRule or VirtualService, Kubernetes Deployment or HorizontalPodAutoscaler, Flagger Canary, Argo Rollout; path relative to the scenario); keys the strategy writes itself win (see tangle import)"`
	Routing string     `yaml:"routing" default:"round-robin" doc:"picker used by every caller sidecar (see tangle list strategies)"`
	Params  RawParams  `yaml:"params" doc:"the picker's parameters"`
	Load    string     `yaml:"load" default:"local" doc:"the load deciders see: local (own outstanding requests), signal (the bus's aged measurements) or live (the truth, instantly)"`
	Edge    *EdgeRoute `yaml:"edge" doc:"picker used by edges (clients with edge: true) to choose a region; default round-robin"`
	// PanicThreshold is Envoy's healthy panic threshold; nil means the default.
	PanicThreshold *Ratio            `yaml:"panic_threshold" default:"50%" doc:"below this fraction of healthy hosts a caller routes to all hosts, healthy or not (Envoy 50%; Istio 0%, which disables panic)"`
	Retries        RawParams         `yaml:"retries" doc:"the callers' retry policy (see tangle list strategies); absent: no retries"`
	Hedging        RawParams         `yaml:"hedging" doc:"hedged requests (see tangle list strategies): {policy: envoy} keeps an attempt whose retries.per_try_timeout fires and sends a retry alongside; {policy: grpc, max_attempts, hedging_delay} sends copies every hedging_delay; absent: no hedging"`
	Guards         []GuardUse        `yaml:"guards" doc:"per-caller guards: outlier detection, circuit breakers (see tangle list strategies)"`
	Deadlines      bool              `yaml:"deadlines" default:"false" doc:"propagate deadlines as gRPC does: a replica starts no work for a caller that has given up, and a service's calls wait no longer than what remains of its request's deadline"`
	PerService     []ServiceStrategy `yaml:"per_service" doc:"routing or retries for the sidecars calling one service, instead of the strategy's, e.g. [{service: db, retries: {num_retries: 0}}]"`
	Autoscaling    []AutoscalingUse  `yaml:"autoscaling" doc:"autoscalers of the services with max_replicas, e.g. [{service: api, autoscaler: hpa, params: {target_utilization: 60%}}] (see tangle list strategies); a pooled service without one stays at its replicas"`
	// Control-plane strategies (with a state section).
	Reconciler *Plug  `yaml:"reconciler" doc:"what repairs drift: a reconciler name or {kind, params} (see tangle list strategies); default none"`
	Election   *Plug  `yaml:"election" doc:"how control-plane members elect a leader; default none (the first member leads)"`
	Rollout    *Plug  `yaml:"rollout" doc:"how deploys replace replicas; default deployment (Kubernetes RollingUpdate)"`
	Flags      string `yaml:"flags" default:"server" doc:"where feature flags are evaluated: server (the service's replicas) or client (each caller's SDK)"`
	// Data-layer choices (with a state.datastore).
	Data RawParams `yaml:"data" doc:"how the serving replicas use the datastore: consistency levels, quorum kind, read repair, hints, timeouts, caching (see tangle list strategies); default: QUORUM reads and writes"`
	// Routing control plane (entanglement routing).
	Controller *Controller `yaml:"controller" doc:"a routing control plane: decision engines that weight edges' regions or sidecars' replicas, with policies, actuation and audit (see routectl.go); with it routing and edge routing default to weighted-round-robin"`
	// Expect is the verdict the scenario states for this strategy.
	Expect string `yaml:"expect" default:"pass" doc:"the verdict the scenario states for this strategy: pass (its checks and SLOs gate the exit code) or fail (a contrast shown failing them: its failures are expected and do not fail the run, and the run fails if it holds every check — the scenario's claim no longer stands); tangle run --gate NAME ignores expect and gates on that strategy alone"`

	params     sim.Params
	edgeParams sim.Params
	load       topology.LoadSource
	retry      topology.RetryPolicy
	hedge      *topology.HedgePolicy
	guards     []topology.NewGuard
	dataParams sim.Params
	imported   *configimport.Block // what from: imported (nil without)
}

// GuardUse names a guard and its parameters.
type GuardUse struct {
	Guard  string    `yaml:"guard,required" doc:"the guard (see tangle list strategies)"`
	Params RawParams `yaml:"params" doc:"its parameters"`
}

// EdgeRoute is the picker an edge uses over the target's regions.
type EdgeRoute struct {
	Routing string    `yaml:"routing,required" doc:"picker over regions"`
	Params  RawParams `yaml:"params" doc:"the picker's parameters"`
}

// ParamValues returns the strategy's complete, checked picker parameters.
func (s *Strategy) ParamValues() sim.Params { return s.params }

// LoadSource returns where the strategy's deciders read load from.
func (s *Strategy) LoadSource() topology.LoadSource { return s.load }

// Load reads and validates a scenario file, with overrides applied.
func Load(path string, sets ...Override) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a scenario file", path)
	}
	// One byte more than allowed, so checkText sees an oversized file
	// (or an endless one, /dev/zero) without reading all of it.
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(path, src, sets...)
}

// Parse reads and validates scenario text; name is used in error positions.
// Overrides (--set) are applied to the YAML tree first and validated with
// it. On failure the error is an ErrorList with every problem found.
func Parse(name string, src []byte, sets ...Override) (*Scenario, error) {
	root, perr := parse(name, src)
	if perr != nil {
		return nil, ErrorList{perr}
	}
	d := newDecoder(name)
	d.sets = sets
	// An override whose path cannot be followed is reported and skipped;
	// the rest of the file and overrides are still checked.
	d.errs = append(d.errs, applyOverrides(root, sets)...)
	d.pos[""] = posOf(root)
	d.budget = max(expansionFactor*countNodes(root), expansionFloor)
	imported, warnings, importSums := expandImports(d, root, name)
	sc := &Scenario{}
	d.decode(root, reflectValue(sc), "")
	for i, b := range imported {
		if i < len(sc.Strategies) {
			sc.Strategies[i].imported = b
		}
	}
	sc.Warnings = warnings
	sc.validatePartial(d)
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	// The hash covers what imported files held too (a scenario without
	// imports hashes its own bytes alone, as before).
	sum := sha256.Sum256(append(slices.Clip(src), importSums...))
	sc.Source, sc.Hash, sc.pos, sc.root = name, hex.EncodeToString(sum[:]), d.pos, root
	sc.Overrides = append([]Override(nil), sets...)
	return sc, nil
}

// defaults fills in what the file left out.
func (sc *Scenario) defaults(d *decoder) {
	if !d.has("seed") {
		sc.Seed = 1
	}
	if !d.has("replications") {
		sc.Replications = 1
	}
	if !d.has("drain") {
		sc.Drain = Duration(10 * sim.Minute)
	}
	if !d.has("topology.telemetry.interval") {
		sc.Topology.Telemetry.Interval = Duration(sim.Second)
	}
	if len(sc.Topology.Regions) == 0 {
		sc.Topology.Regions = []Region{{Name: "local", Zones: []string{"a"}}}
	}
	for i := range sc.Topology.Regions {
		if len(sc.Topology.Regions[i].Zones) == 0 {
			sc.Topology.Regions[i].Zones = []string{"a"}
		}
	}
	for i := range sc.Topology.Services {
		s := &sc.Topology.Services[i]
		p := index("topology.services", i)
		if !d.has(join(p, "replicas")) {
			s.Replicas = 1
		}
		if !d.has(join(p, "concurrency")) {
			s.Concurrency = 1
		}
		if !d.has(join(p, "queue")) {
			s.Queue = topology.Unbounded
		}
		callDefaults(d, p, s)
		poolDefaults(d, p, s)
	}
	for i := range sc.Topology.Clients {
		c := &sc.Topology.Clients[i]
		p := index("topology.clients", i)
		if !d.has(join(p, "callers")) {
			c.Callers = 1
		}
		if c.Arrival == "" {
			c.Arrival = "poisson"
		}
	}
	if len(sc.Strategies) == 0 {
		sc.Strategies = []Strategy{{Name: "round-robin", Routing: "round-robin"}}
	}
	for i := range sc.Strategies {
		sc.controllerDefaults(d, i)
		if sc.Strategies[i].Load == "" {
			sc.Strategies[i].Load = "local"
		}
		if sc.Strategies[i].Routing == "" {
			sc.Strategies[i].Routing = "round-robin"
			if sc.Strategies[i].routes() {
				sc.Strategies[i].Routing = "weighted-round-robin" // honours the controllers' weights
			}
		}
		if sc.Strategies[i].Flags == "" {
			sc.Strategies[i].Flags = "server"
		}
	}
	sc.edgeDefaults(d)
	sc.stateDefaults(d)
}

// validate checks values and cross-references, recording every problem.
func (sc *Scenario) validate(d *decoder) {
	if strings.TrimSpace(sc.Name) == "" {
		d.errorPath("name", "", "must not be empty")
	}
	if sc.Duration <= 0 {
		d.errorPath("duration", "", "must be positive, got %v", sc.Duration)
	}
	if sc.Warmup < 0 || (sc.Duration > 0 && sc.Warmup >= sc.Duration) {
		d.errorPath("warmup", "", "must be at least 0 and shorter than duration (%v), got %v", sc.Duration, sc.Warmup)
	}
	if sc.Replications < 1 {
		d.errorPath("replications", "", "must be at least 1, got %d", sc.Replications)
	}
	if sc.Drain < 0 {
		d.errorPath("drain", "", "must not be negative, got %v", sc.Drain)
	}
	if sc.SeriesInterval < 0 {
		d.errorPath("series_interval", "", "must not be negative, got %v", sc.SeriesInterval)
	}
	if !sc.checkSizes(d) {
		return
	}
	sc.validatePlaces(d)
	sc.validateServices(d)
	sc.validateClients(d)
	sc.validateEdges(d)
	sc.validateCalls(d)
	sc.validatePools(d)
	if sc.Topology.Telemetry.Interval < 0 {
		d.errorPath("topology.telemetry.interval", "", "must not be negative")
	}
	if sc.Topology.Telemetry.Delay < 0 {
		d.errorPath("topology.telemetry.delay", "", "must not be negative")
	}
	sc.validateState(d)
	sc.validateResidency(d)
	sc.validateStrategies(d)
	sc.validateFaults(d)
	sc.validateChecks(d)
}

func (sc *Scenario) validatePlaces(d *decoder) {
	seen := map[string]bool{}
	for i, r := range sc.Topology.Regions {
		p := index("topology.regions", i)
		if r.Name == "" || strings.Contains(r.Name, "/") {
			d.errorPath(join(p, "name"), "", "must be a non-empty name without '/'")
		}
		if seen[r.Name] {
			d.errorPath(join(p, "name"), "", "region %q is declared twice", r.Name)
		}
		seen[r.Name] = true
		zones := map[string]bool{}
		for j, z := range r.Zones {
			if z == "" || strings.Contains(z, "/") || zones[z] {
				d.errorPath(index(join(p, "zones"), j), "", "zone names must be non-empty, unique within the region and without '/', got %q", z)
			}
			zones[z] = true
			sc.places = append(sc.places, topology.Place{Region: r.Name, Zone: z})
		}
	}
	net := sc.Topology.Network
	for i, l := range net.Links {
		p := index("topology.network.links", i)
		if len(l.Between) != 2 {
			d.errorPath(join(p, "between"), "", "expected exactly two places, got %d", len(l.Between))
			continue
		}
		for j, name := range l.Between {
			if _, err := sc.placesOf(name); err != nil {
				d.errorPath(index(join(p, "between"), j), sc.placeHint(name), "%v", err)
			}
		}
	}
}

// placesOf resolves "region" (all its zones) or "region/zone".
func (sc *Scenario) placesOf(name string) ([]topology.PlaceID, error) {
	region, zone, hasZone := strings.Cut(name, "/")
	var ids []topology.PlaceID
	for i, pl := range sc.places {
		if pl.Region == region && (!hasZone || pl.Zone == zone) {
			ids = append(ids, topology.PlaceID(i))
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("unknown place %q; places are %s", name, strings.Join(sc.placeNames(), ", "))
	}
	return ids, nil
}

func (sc *Scenario) placeNames() []string {
	var names []string
	for _, r := range sc.Topology.Regions {
		names = append(names, r.Name)
		for _, z := range r.Zones {
			names = append(names, r.Name+"/"+z)
		}
	}
	return names
}

func (sc *Scenario) placeHint(name string) string { return didYouMean(name, sc.placeNames()) }

func (sc *Scenario) validateServices(d *decoder) {
	names := map[string]bool{}
	for i, s := range sc.Topology.Services {
		p := index("topology.services", i)
		if names[s.Name] {
			d.errorPath(join(p, "name"), "", "service %q is declared twice", s.Name)
		}
		names[s.Name] = true
		if s.Replicas < 1 {
			d.errorPath(join(p, "replicas"), "", "must be at least 1, got %d", s.Replicas)
		}
		if s.Concurrency < 1 {
			d.errorPath(join(p, "concurrency"), "", "must be at least 1, got %d", s.Concurrency)
		}
		if !(s.ErrorRate >= 0 && s.ErrorRate <= 1) {
			d.errorPath(join(p, "error_rate"), "", "must be a ratio in [0, 1] (or 0%% to 100%%), got %g", float64(s.ErrorRate))
		}
		for j, z := range s.Zones {
			if _, err := sc.placesOf(z); err != nil {
				d.errorPath(index(join(p, "zones"), j), sc.placeHint(z), "%v", err)
			}
		}
	}
}

func (sc *Scenario) serviceNames() []string {
	var n []string
	for _, s := range sc.Topology.Services {
		n = append(n, s.Name)
	}
	return n
}

func (sc *Scenario) validateClients(d *decoder) {
	names := map[string]bool{}
	for i, c := range sc.Topology.Clients {
		p := index("topology.clients", i)
		if names[c.Name] {
			d.errorPath(join(p, "name"), "", "client %q is declared twice", c.Name)
		}
		names[c.Name] = true
		if !slices.Contains(sc.serviceNames(), c.Target) {
			d.errorPath(join(p, "target"), didYouMean(c.Target, sc.serviceNames()), "unknown service %q; services are %s", c.Target, strings.Join(sc.serviceNames(), ", "))
		}
		if !(c.Rate >= 0) {
			d.errorPath(join(p, "rate"), "", "must not be negative, got %v", c.Rate)
		}
		if c.Arrival != "poisson" && c.Arrival != "constant" {
			d.errorPath(join(p, "arrival"), didYouMean(c.Arrival, []string{"poisson", "constant"}), "expected poisson or constant, got %q", c.Arrival)
		}
		if c.Timeout < 0 {
			d.errorPath(join(p, "timeout"), "", "must not be negative (0 means no timeout)")
		}
		if c.Callers < 1 {
			d.errorPath(join(p, "callers"), "", "must be at least 1, got %d", c.Callers)
		}
		if c.Zone != "" {
			if ids, err := sc.placesOf(c.Zone); err != nil {
				d.errorPath(join(p, "zone"), sc.placeHint(c.Zone), "%v", err)
			} else if len(ids) > 1 && strings.Contains(c.Zone, "/") {
				d.errorPath(join(p, "zone"), "", "must name one zone")
			}
		}
		end := sim.Time(0)
		for j, st := range c.Schedule {
			sp := index(join(p, "schedule"), j)
			switch {
			case st.At < 0:
				d.errorPath(join(sp, "at"), "", "must not be negative")
			case st.At.T() < end:
				d.errorPath(join(sp, "at"), "", "starts at %v, before the previous change ends (%v); list changes in time order", st.At, Duration(end))
			}
			if !(st.Rate >= 0) {
				d.errorPath(join(sp, "rate"), "", "must not be negative")
			}
			if st.Duration < 0 || st.Ramp < 0 {
				d.errorPath(sp, "", "duration and ramp must not be negative")
			}
			if st.Duration > 0 && st.Ramp > 0 {
				d.errorPath(join(sp, "ramp"), "", "a change is a spike (duration) or a ramp, not both")
			}
			end = st.At.T() + st.Duration.T() + st.Ramp.T()
		}
	}
}

func (sc *Scenario) validateStrategies(d *decoder) {
	names := map[string]bool{}
	folded := map[string]string{} // lower case -> as written
	for i := range sc.Strategies {
		s := &sc.Strategies[i]
		p := index("strategies", i)
		if names[s.Name] {
			d.errorPath(join(p, "name"), "", "strategy %q is declared twice; names must be unique", s.Name)
		} else if prev, ok := folded[strings.ToLower(s.Name)]; ok {
			// Each strategy's outputs are files named after it; on a
			// case-insensitive file system these would be one file.
			d.errorPath(join(p, "name"), "", "strategy %q differs from %q only in letter case; their output files would collide on case-insensitive file systems", s.Name, prev)
		}
		names[s.Name] = true
		folded[strings.ToLower(s.Name)] = s.Name
		switch s.Expect {
		case "":
			s.Expect = "pass"
		case "pass", "fail":
		default:
			d.errorPath(join(p, "expect"), didYouMean(s.Expect, []string{"pass", "fail"}), "expected pass or fail, got %q", s.Expect)
		}
		var err error
		if s.load, err = topology.ParseLoadSource(s.Load); err != nil {
			d.errorPath(join(p, "load"), didYouMean(s.Load, []string{"local", "signal", "live"}), "expected local, signal or live, got %q", s.Load)
		} else if s.load == topology.LoadSignal && sc.Topology.Telemetry.Interval == 0 {
			d.errorPath(join(p, "load"), "set topology.telemetry.interval", "load: signal needs the signal bus, which is disabled")
		}
		s.params = sc.checkRouting(d, join(p, "routing"), join(p, "params"), s.Routing, s.Params)
		sc.validateStrategyControl(d, p, s)
		sc.validateController(d, p, s)
		if s.Edge != nil {
			s.edgeParams = sc.checkRouting(d, join(p, "edge.routing"), join(p, "edge.params"), s.Edge.Routing, s.Edge.Params)
		}
		if s.PanicThreshold != nil && !(*s.PanicThreshold >= 0 && *s.PanicThreshold <= 1) {
			d.errorPath(join(p, "panic_threshold"), "", "must be a ratio in [0, 1] (or 0%% to 100%%), got %g", float64(*s.PanicThreshold))
		}
		if d.has(join(p, "retries")) {
			if vals, ok := readParams(d, join(p, "retries"), "retries", strategies.RetryParams, s.Retries); ok {
				pol, err := strategies.RetryPolicy(vals)
				if err != nil {
					d.errorPath(join(p, "retries"), "", "%v", err)
				}
				s.retry = pol
			}
		}
		s.hedge = readHedging(d, join(p, "hedging"), s.Hedging)
		checkHedging(d, join(p, "hedging"), join(p, "retries"), s.hedge, s.retry)
		s.guards = readGuards(d, join(p, "guards"), s.Guards)
		sc.validatePerService(d, p, s)
		sc.validateAutoscaling(d, p, s)
	}
}

// readGuards builds the guards uses (at path), reporting each problem at
// its position.
func readGuards(d *decoder, path string, uses []GuardUse) []topology.NewGuard {
	var out []topology.NewGuard
	for j, g := range uses {
		gp := index(path, j)
		def, ok := strategies.LookupGuard(g.Guard)
		if !ok {
			d.errorPath(join(gp, "guard"), didYouMean(g.Guard, strategies.GuardNames()), "unknown guard %q; `tangle list strategies` lists them", g.Guard)
			continue
		}
		vals, ok := readParams(d, join(gp, "params"), "guard "+g.Guard, def.Params, g.Params)
		if !ok {
			continue
		}
		ng, err := def.Build(vals)
		if err != nil {
			d.errorPath(join(gp, "params"), "", "%v", err)
			continue
		}
		out = append(out, ng)
	}
	return out
}

// checkRouting resolves a routing name and reads its parameters with the
// types the strategy declares, reporting each problem at its position.
func (sc *Scenario) checkRouting(d *decoder, routingPath, paramsPath, name string, raw RawParams) sim.Params {
	def, ok := strategies.LookupRouting(name)
	if !ok {
		d.errorPath(routingPath, didYouMean(name, strategies.RoutingNames()), "unknown routing %q; `tangle list strategies` lists them", name)
		return nil
	}
	vals, ok := readParams(d, paramsPath, "routing "+name, def.Params, raw)
	if !ok {
		return nil
	}
	if _, err := def.Build(vals); err != nil {
		d.errorPath(paramsPath, "", "%v", err)
		return nil
	}
	return vals
}
