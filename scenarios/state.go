package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/data"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
	"go.yaml.in/yaml/v3"
)

// State is the scenario's desired-vs-actual state model (decoherence):
// the keys of desired state and how they propagate, software versions, the
// control plane, and the changes of desired state over time.
type State struct {
	ControlPlane   *ControlPlane `yaml:"control_plane" doc:"where the store runs and the members that elect a leader and run controllers; default: one implicit controller at the store that never fails"`
	ReportInterval Duration      `yaml:"report_interval" default:"10s" doc:"how often every replica reports its state to the control plane (kubelet nodeStatusUpdateFrequency 10s)"`
	AlertFor       Duration      `yaml:"alert_for" default:"1m" doc:"drift alert: observed divergence must last this long (a Prometheus rule's for:)"`
	Settle         Duration      `yaml:"settle" default:"10s" doc:"convergence: the fleet must stay on the desired state this long to end a divergence episode"`
	Keys           []KeyDecl     `yaml:"keys" doc:"keys of desired state: config resources and feature flags"`
	Versions       []VersionDecl `yaml:"versions" doc:"software versions' behaviour (error rate, time to readiness)"`
	Changes        []ChangeDecl  `yaml:"changes" doc:"changes of desired state: key bumps and deploys"`
	Datastore      *Datastore    `yaml:"datastore" doc:"the data layer: data replicas, replication, schema compatibility and the clients' reads and writes (see data.go)"`

	store   topology.PlaceID
	members []topology.PlaceID
}

// ControlPlane places the control plane.
type ControlPlane struct {
	Store   string   `yaml:"store" doc:"zone of the API server / config store (region/zone); default: the first zone"`
	Members int      `yaml:"members" default:"0" doc:"controller replicas (candidates for leadership, running reconcilers and rollouts); 0: one implicit controller at the store that never fails"`
	Zones   []string `yaml:"zones" doc:"places the members run, round robin (region or region/zone); default: the store's zone"`
	Name    string   `yaml:"name" default:"control-plane" doc:"name of the members' service: faults target members as control-plane-0, control-plane-1, …"`
	Work    Duration `yaml:"work" default:"10ms" doc:"processing time of one reconcile of one item on a member"`
}

// KeyDecl declares a key of desired state.
type KeyDecl struct {
	Name           string       `yaml:"name,required" doc:"key name, used by changes and faults"`
	Kind           string       `yaml:"kind" default:"config" doc:"config, flag, or schema (a datastore's schema version, held by its data replicas)"`
	Service        string       `yaml:"service,required" doc:"the service whose replicas hold it (for a flag evaluated client-side: the SDKs of the callers that target it; for a schema: the datastore)"`
	Channel        *ChannelDecl `yaml:"channel" default:"push" doc:"how holders receive changes: none (only reconcilers write it), push (xDS-like), poll or stream; a name or {kind, ...settings}"`
	ClientChannel  *ChannelDecl `yaml:"client_channel" default:"stream" doc:"flags evaluated client-side: how caller SDKs receive them"`
	Size           int          `yaml:"size" default:"1024" doc:"bytes one write of the value carries (repair cost)"`
	StaleErrorRate Ratio        `yaml:"stale_error_rate" default:"0" doc:"probability a request served with a value other than the desired one fails (a revoked secret: 100%)"`

	kind state.KeyKind
}

// ChannelDecl configures a channel; unset settings take the channel's
// documented defaults (tangle list faults shows none; see DefaultChannel).
type ChannelDecl struct {
	Kind          string    `yaml:"kind,required" doc:"none, push, poll or stream"`
	Debounce      *Duration `yaml:"debounce" doc:"push: quiet period before a push (Istio PILOT_DEBOUNCE_AFTER 100ms)"`
	DebounceMax   *Duration `yaml:"debounce_max" doc:"push: longest wait after the first change of a burst (PILOT_DEBOUNCE_MAX 10s)"`
	Interval      *Duration `yaml:"interval" doc:"poll: interval (LaunchDarkly 30s; Unleash 15s)"`
	Jitter        *Ratio    `yaml:"jitter" doc:"poll: each interval varies by up to ± this fraction"`
	Backoff       *Duration `yaml:"backoff" doc:"push/stream: first reconnect delay (Envoy 500ms; LaunchDarkly 1s)"`
	BackoffMax    *Duration `yaml:"backoff_max" doc:"push/stream: reconnect delay cap (30s)"`
	BackoffJitter *Ratio    `yaml:"backoff_jitter" doc:"push/stream: random fraction taken off each delay (Envoy 100%; LaunchDarkly 50%)"`
	BackoffReset  *Duration `yaml:"backoff_reset" doc:"push/stream: connection time after which the backoff resets (Envoy 0: on connect; LaunchDarkly 60s)"`

	spec state.ChannelSpec
}

type channelFields ChannelDecl

func (c *ChannelDecl) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		c.Kind = n.Value
		return
	}
	d.decodeStruct(n, reflect.ValueOf((*channelFields)(c)).Elem(), path)
}

// VersionDecl gives a software version its behaviour.
type VersionDecl struct {
	Service    string   `yaml:"service,required" doc:"the service"`
	Version    int      `yaml:"version,required" doc:"the version (1 is what every replica runs at the start)"`
	ErrorRate  *Ratio   `yaml:"error_rate" doc:"probability a request it serves fails, replacing the service's error rate"`
	ReadyAfter Duration `yaml:"ready_after" default:"10s" doc:"time from pod start to passing readiness"`
	Schema     int      `yaml:"schema" default:"0" doc:"the datastore schema its code reads and writes (state.datastore.compat's code); 0: 1"`
}

// ChangeDecl is a change of desired state.
type ChangeDecl struct {
	At      Duration `yaml:"at" default:"0s" doc:"when"`
	Key     string   `yaml:"key" doc:"the key to change (or deploy)"`
	Deploy  string   `yaml:"deploy" doc:"the service to deploy at a new software version (or key)"`
	Version int      `yaml:"version" default:"0" doc:"the new version; 0: the next one"`
	Invalid bool     `yaml:"invalid" default:"false" doc:"holders reject this version (an xDS NACK) and keep their last good value"`
	Every   Duration `yaml:"every" default:"0s" doc:"repeat every this long (a new version each time) until the end: steady churn"`
}

// Plug names a control-plane strategy and its parameters: written as a
// name, or as {kind, params}.
type Plug struct {
	Kind   string    `yaml:"kind,required" doc:"the strategy (see tangle list strategies)"`
	Params RawParams `yaml:"params" doc:"its parameters"`

	params sim.Params
}

type plugFields Plug

func (p *Plug) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		p.Kind = n.Value
		return
	}
	d.decodeStruct(n, reflect.ValueOf((*plugFields)(p)).Elem(), path)
}

// controlPlaneName is the name of the members' service, or "".
func (sc *Scenario) controlPlaneName() string {
	if sc.State == nil || sc.State.ControlPlane == nil || sc.State.ControlPlane.Members == 0 {
		return ""
	}
	return sc.State.ControlPlane.Name
}

// stateDefaults fills in what the state section left out.
func (sc *Scenario) stateDefaults(d *decoder) {
	st := sc.State
	if st == nil {
		return
	}
	if !d.has("state.report_interval") {
		st.ReportInterval = Duration(10 * sim.Second)
	}
	if !d.has("state.alert_for") {
		st.AlertFor = Duration(sim.Minute)
	}
	if !d.has("state.settle") {
		st.Settle = Duration(10 * sim.Second)
	}
	if cp := st.ControlPlane; cp != nil {
		if cp.Name == "" {
			cp.Name = "control-plane"
		}
		if !d.has("state.control_plane.work") {
			cp.Work = Duration(10 * sim.Millisecond)
		}
	}
	for i := range st.Keys {
		k := &st.Keys[i]
		p := index("state.keys", i)
		if k.Kind == "" {
			k.Kind = "config"
		}
		if k.Channel == nil {
			k.Channel = &ChannelDecl{Kind: "push"}
		}
		if k.ClientChannel == nil {
			k.ClientChannel = &ChannelDecl{Kind: "stream"}
		}
		if !d.has(join(p, "size")) {
			k.Size = 1024
		}
	}
	for i := range st.Versions {
		if !d.has(join(index("state.versions", i), "ready_after")) {
			st.Versions[i].ReadyAfter = Duration(state.DefaultReadyAfter)
		}
	}
	sc.datastoreDefaults(d)
}

// validateState checks the state section.
func (sc *Scenario) validateState(d *decoder) {
	st := sc.State
	if st == nil {
		return
	}
	services := sc.serviceNames()
	if st.ReportInterval <= 0 {
		d.errorPath("state.report_interval", "", "must be positive, got %v", st.ReportInterval)
	}
	if st.AlertFor <= 0 {
		d.errorPath("state.alert_for", "", "must be positive, got %v", st.AlertFor)
	}
	if st.Settle < 0 {
		d.errorPath("state.settle", "", "must not be negative")
	}
	if cp := st.ControlPlane; cp != nil {
		p := "state.control_plane"
		if cp.Store != "" {
			if ids, err := sc.placesOf(cp.Store); err != nil || len(ids) != 1 {
				d.errorPath(join(p, "store"), didYouMean(cp.Store, sc.zoneNames()), "expected one zone written region/zone; zones are %s", strings.Join(sc.zoneNames(), ", "))
			} else {
				st.store = ids[0]
			}
		}
		if cp.Members < 0 || cp.Members > 255 {
			d.errorPath(join(p, "members"), "", "must be between 0 and 255, got %d", cp.Members)
		}
		if cp.Work <= 0 {
			d.errorPath(join(p, "work"), "", "must be positive, got %v", cp.Work)
		}
		if slices.Contains(services, cp.Name) || strings.TrimSpace(cp.Name) == "" {
			d.errorPath(join(p, "name"), "", "must be a name no service uses, got %q", cp.Name)
		}
		for j, z := range cp.Zones {
			ids, err := sc.placesOf(z)
			if err != nil {
				d.errorPath(index(join(p, "zones"), j), sc.placeHint(z), "%v", err)
				continue
			}
			st.members = append(st.members, ids...)
		}
		if len(cp.Zones) > 0 && cp.Members == 0 {
			d.errorPath(join(p, "zones"), "set members", "zones place members, but members is 0")
		}
		if len(st.members) == 0 {
			st.members = []topology.PlaceID{st.store}
		}
	}
	sc.validateDatastore(d)
	perService := map[string]int{}
	for i := range st.Keys {
		k := &st.Keys[i]
		p := index("state.keys", i)
		if slices.ContainsFunc(st.Keys[:i], func(o KeyDecl) bool { return o.Name == k.Name }) {
			d.errorPath(join(p, "name"), "", "key %q is declared twice", k.Name)
		}
		switch k.Kind {
		case "config":
			k.kind = state.Config
		case "flag":
			k.kind = state.Flag
		case "schema":
			k.kind = state.Schema
			if sc.datastoreName() == "" {
				d.errorPath(join(p, "kind"), "add state.datastore", "a schema key is held by a datastore's replicas, and there is none")
			} else if k.Service != sc.datastoreName() {
				d.errorPath(join(p, "service"), "", "a schema key is held by the datastore's replicas: name the datastore, %q (state.datastore.name), got %q", sc.datastoreName(), k.Service)
			}
		default:
			d.errorPath(join(p, "kind"), didYouMean(k.Kind, []string{"config", "flag", "schema"}), "expected config, flag or schema, got %q", k.Kind)
		}
		if k.Kind != "schema" && !slices.Contains(services, k.Service) {
			d.errorPath(join(p, "service"), didYouMean(k.Service, services), "unknown service %q; services are %s", k.Service, strings.Join(services, ", "))
		}
		perService[k.Service]++
		if perService[k.Service] == 32 {
			d.errorPath(p, "", "service %s holds more than 31 keys", k.Service)
		}
		sc.checkChannel(d, join(p, "channel"), k.Channel)
		sc.checkChannel(d, join(p, "client_channel"), k.ClientChannel)
		if d.has(join(p, "client_channel")) && k.Kind != "flag" {
			d.errorPath(join(p, "client_channel"), "", "only flags are evaluated client-side")
		}
		if k.Size < 1 {
			d.errorPath(join(p, "size"), "", "must be at least 1 byte, got %d", k.Size)
		}
		if !(k.StaleErrorRate >= 0 && k.StaleErrorRate <= 1) {
			d.errorPath(join(p, "stale_error_rate"), "", "must be a ratio in [0, 1], got %g", float64(k.StaleErrorRate))
		}
	}
	for i, v := range st.Versions {
		p := index("state.versions", i)
		if !slices.Contains(services, v.Service) {
			d.errorPath(join(p, "service"), didYouMean(v.Service, services), "unknown service %q; services are %s", v.Service, strings.Join(services, ", "))
		}
		if v.Version < 1 {
			d.errorPath(join(p, "version"), "", "must be at least 1, got %d", v.Version)
		}
		if v.ErrorRate != nil && !(*v.ErrorRate >= 0 && *v.ErrorRate <= 1) {
			d.errorPath(join(p, "error_rate"), "", "must be a ratio in [0, 1], got %g", float64(*v.ErrorRate))
		}
		if v.ReadyAfter <= 0 {
			d.errorPath(join(p, "ready_after"), "", "must be positive, got %v", v.ReadyAfter)
		}
		if v.Schema < 0 {
			d.errorPath(join(p, "schema"), "", "must not be negative (0: 1), got %d", v.Schema)
		}
	}
	keys := sc.keyNames()
	for i, c := range st.Changes {
		p := index("state.changes", i)
		switch {
		case (c.Key == "") == (c.Deploy == ""):
			d.errorPath(p, "", "a change names either a key or a service to deploy")
		case c.Key != "" && !slices.Contains(keys, c.Key):
			d.errorPath(join(p, "key"), didYouMean(c.Key, keys), "unknown key %q; keys are %s", c.Key, strings.Join(keys, ", "))
		case c.Deploy != "" && !slices.Contains(services, c.Deploy):
			d.errorPath(join(p, "deploy"), didYouMean(c.Deploy, services), "unknown service %q; services are %s", c.Deploy, strings.Join(services, ", "))
		}
		if c.At < 0 || (sc.Duration > 0 && c.At >= sc.Duration) {
			d.errorPath(join(p, "at"), "", "must be within the run (0 to %v), got %v", sc.Duration, c.At)
		}
		if c.Version < 0 {
			d.errorPath(join(p, "version"), "", "must not be negative (0: the next version)")
		}
		if c.Every < 0 {
			d.errorPath(join(p, "every"), "", "must not be negative")
		}
		if c.Invalid && c.Deploy != "" {
			d.errorPath(join(p, "invalid"), "", "only key versions can be rejected by holders")
		}
	}
}

func (sc *Scenario) keyNames() []string {
	var n []string
	if sc.State != nil {
		for _, k := range sc.State.Keys {
			n = append(n, k.Name)
		}
	}
	return n
}

// checkChannel resolves a channel declaration onto its kind's defaults.
func (sc *Scenario) checkChannel(d *decoder, path string, c *ChannelDecl) {
	kind, err := state.ParseChannelKind(c.Kind)
	if err != nil {
		d.errorPath(join(path, "kind"), didYouMean(c.Kind, state.ChannelKinds()), "expected one of %s, got %q", strings.Join(state.ChannelKinds(), ", "), c.Kind)
		return
	}
	spec := state.DefaultChannel(kind)
	set := func(dst *sim.Time, v *Duration) {
		if v != nil {
			*dst = v.T()
		}
	}
	set(&spec.Debounce, c.Debounce)
	set(&spec.DebounceMax, c.DebounceMax)
	set(&spec.Interval, c.Interval)
	set(&spec.Backoff.Initial, c.Backoff)
	set(&spec.Backoff.Max, c.BackoffMax)
	set(&spec.Backoff.Reset, c.BackoffReset)
	if c.Jitter != nil {
		spec.Jitter = float64(*c.Jitter)
	}
	if c.BackoffJitter != nil {
		spec.Backoff.Jitter = float64(*c.BackoffJitter)
	}
	if err := spec.Validate(); err != nil {
		d.errorPath(path, "", "%v", err)
		return
	}
	c.spec = spec
}

// checkPlug resolves a strategy's control-plane plug.
func (sc *Scenario) checkPlug(d *decoder, path string, k strategies.ControlKind, p *Plug) {
	if p == nil {
		return
	}
	if sc.State == nil {
		d.errorPath(path, "add a state section", "a %s needs the state model", k)
		return
	}
	def, ok := strategies.LookupControl(k, p.Kind)
	if !ok {
		names := strategies.ControlNames(k)
		d.errorPath(join(path, "kind"), didYouMean(p.Kind, names), "unknown %s %q; expected one of %s", k, p.Kind, strings.Join(names, ", "))
		return
	}
	vals, ok := readParams(d, join(path, "params"), fmt.Sprintf("%s %s", k, p.Kind), def.Params, p.Params)
	if !ok {
		return
	}
	if err := def.Build(vals, &strategies.ControlPlan{}); err != nil {
		d.errorPath(join(path, "params"), "", "%v", err)
		return
	}
	p.params = vals
}

// validateStrategyControl checks a strategy's control-plane keys.
func (sc *Scenario) validateStrategyControl(d *decoder, p string, s *Strategy) {
	sc.checkPlug(d, join(p, "reconciler"), strategies.ReconcilerKind, s.Reconciler)
	sc.checkPlug(d, join(p, "election"), strategies.ElectionKind, s.Election)
	sc.checkPlug(d, join(p, "rollout"), strategies.RolloutKind, s.Rollout)
	sc.validateStrategyData(d, p, s)
	if s.Flags != "server" && s.Flags != "client" {
		d.errorPath(join(p, "flags"), didYouMean(s.Flags, []string{"server", "client"}), "expected server or client, got %q", s.Flags)
	}
}

// checkKeyParam reports a fault's key parameter that names no key.
func (sc *Scenario) checkKeyParam(d *decoder, path string, params sim.Params) {
	name, ok := params["key"].(string)
	if !ok || name == "" {
		return
	}
	if keys := sc.keyNames(); !slices.Contains(keys, name) {
		d.errorPath(join(path, "key"), didYouMean(name, keys), "no key is called %q; keys are %s", name, strings.Join(keys, ", "))
	}
}

// checkClientTarget validates a fault target's client filter.
func (sc *Scenario) checkClientTarget(d *decoder, path string, t Target, kind faults.TargetKind) {
	if t.Client == "" {
		return
	}
	var clients []string
	for _, c := range sc.Topology.Clients {
		clients = append(clients, c.Name)
	}
	switch {
	case kind != faults.Nodes:
		d.errorPath(join(path, "client"), "", "this fault acts on %s, not on callers' SDKs", kind)
	case !slices.Contains(clients, t.Client):
		d.errorPath(join(path, "client"), didYouMean(t.Client, clients), "unknown client %q; clients are %s", t.Client, strings.Join(clients, ", "))
	case t.Service != "":
		d.errorPath(join(path, "service"), "", "a target is a service's replicas or a client's SDKs, not both")
	}
}

// stateSpec compiles the state section; cpService is the index of the
// control-plane service in the world spec, or -1.
func (sc *Scenario) stateSpec(cpService int) *state.Spec {
	st := sc.State
	svc := func(name string) int { return slices.Index(sc.serviceNames(), name) }
	spec := &state.Spec{
		ReportInterval: st.ReportInterval.T(),
		Control:        state.ControlPlaneSpec{Store: st.store, Service: cpService, Work: 10 * sim.Millisecond},
	}
	if cp := st.ControlPlane; cp != nil {
		spec.Control.Work = cp.Work.T()
	}
	for _, k := range st.Keys {
		spec.Keys = append(spec.Keys, state.KeySpec{Name: k.Name, Kind: k.kind, Service: svc(k.Service), Channel: k.Channel.spec,
			ClientChannel: k.ClientChannel.spec, Size: k.Size, StaleErrorRate: float64(k.StaleErrorRate)})
	}
	for _, v := range st.Versions {
		vs := state.VersionSpec{Service: svc(v.Service), Version: state.Version(v.Version), ReadyAfter: v.ReadyAfter.T(), Schema: state.Version(v.Schema)}
		if v.ErrorRate != nil {
			vs.ErrorRate, vs.HasErrorRate = float64(*v.ErrorRate), true
		}
		spec.Versions = append(spec.Versions, vs)
	}
	for _, c := range st.Changes {
		cs := state.ChangeSpec{At: c.At.T(), Key: slices.Index(sc.keyNames(), c.Key), Service: -1, Version: state.Version(c.Version), Invalid: c.Invalid, Every: c.Every.T()}
		if c.Deploy != "" {
			cs.Key, cs.Service = -1, svc(c.Deploy)
		}
		spec.Changes = append(spec.Changes, cs)
	}
	return spec
}

// controlPlaneService is the world service of the control-plane members.
func (sc *Scenario) controlPlaneService() (topology.ServiceSpec, bool) {
	name := sc.controlPlaneName()
	if name == "" {
		return topology.ServiceSpec{}, false
	}
	cp := sc.State.ControlPlane
	return topology.ServiceSpec{Name: name, Replicas: cp.Members, Concurrency: 1, QueueCapacity: topology.Unbounded,
		ServiceTime: sim.Constant{V: 0.001}, Places: slices.Clone(sc.State.members)}, true
}

// Control returns the control-plane strategies of strategy i.
func (sc *Scenario) Control(i int) (strategies.ControlPlan, error) {
	s := &sc.Strategies[i]
	var c strategies.ControlPlan
	for _, x := range []struct {
		k strategies.ControlKind
		p *Plug
	}{{strategies.ReconcilerKind, s.Reconciler}, {strategies.ElectionKind, s.Election}, {strategies.RolloutKind, s.Rollout}} {
		p := x.p
		if p == nil && x.k == strategies.RolloutKind {
			p = &Plug{Kind: "deployment"}
		}
		if p == nil {
			continue
		}
		def, ok := strategies.LookupControl(x.k, p.Kind)
		if !ok {
			return c, fmt.Errorf("strategy %s: unknown %s %q", s.Name, x.k, p.Kind)
		}
		vals, err := def.Params.Complete(p.params)
		if err != nil {
			return c, fmt.Errorf("strategy %s: %s: %w", s.Name, x.k, err)
		}
		if err := def.Build(vals, &c); err != nil {
			return c, fmt.Errorf("strategy %s: %s: %w", s.Name, x.k, err)
		}
	}
	if s.Flags == "client" {
		c.Flags = state.FlagsClient
	}
	if sc.datastoreName() != "" {
		c.Data = sc.dataPolicy(i)
	}
	rc, err := sc.routeControl(i)
	if err != nil {
		return c, err
	}
	c.Route = rc
	return c, nil
}

// ControlChoices describes strategy i's control-plane strategies for
// reports: plug point → "kind param=value …".
func (sc *Scenario) ControlChoices(i int) map[string]string {
	s := &sc.Strategies[i]
	out := map[string]string{}
	if ctl := sc.ControllerChoice(i); ctl != "" {
		out["controller"] = ctl
	}
	if sc.State == nil {
		return out
	}
	add := func(point string, p *Plug) {
		if p == nil {
			return
		}
		var parts []string
		names := make([]string, 0, len(p.Params))
		for k := range p.Params {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			parts = append(parts, k+"="+sim.FormatValue(p.params[k]))
		}
		out[point] = strings.TrimSpace(p.Kind + " " + strings.Join(parts, " "))
	}
	add("reconciler", s.Reconciler)
	add("election", s.Election)
	add("rollout", s.Rollout)
	out["flags"] = s.Flags
	if sc.datastoreName() != "" {
		out["data"] = sc.dataChoice(i)
	}
	return out
}

// attachState configures the state model of a built world and attaches
// its metrics.
func (sc *Scenario) attachState(i int, w *topology.World, rec *metrics.Recorder, cfg metrics.Config) error {
	if state.Of(w) == nil {
		return nil
	}
	c, err := sc.Control(i)
	if err != nil {
		return err
	}
	routectl.Of(w).Configure(c.Route) // applied by the state model's Configure
	if err := state.Of(w).Configure(c.Control); err != nil {
		return err
	}
	if d, ok := data.Of(w); ok {
		if err := d.Configure(c.Data, c.Repair); err != nil {
			return err
		}
	}
	if sc.State != nil {
		metrics.NewDecoherence(w, cfg, metrics.DecoherenceConfig{AlertFor: sc.State.AlertFor.T(), Settle: sc.State.Settle.T(), Check: sc.State.ReportInterval.T()}, rec)
	}
	sc.attachData(w, rec, cfg)
	sc.attachControl(i, w, rec, cfg)
	return nil
}
