package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML writes the scenario back out as a scenario file that Parse reads
// into the same scenario, so `tangle run` on it gives the same bytes as
// running sc. It starts from the file sc was parsed from (with its
// overrides applied and its comments dropped) and writes these fields as
// they are now: seed, duration, warmup, replications, each client's rate
// and schedule, the strategies (a subset of the parsed ones, by name, in
// any order), the faults and the checks. Other fields are written as
// parsed; change them with overrides. A scenario not made by Parse (or
// Load, Open, Builtin) has no file to start from: YAML returns an error.
func (sc *Scenario) YAML() ([]byte, error) {
	if sc.root == nil || sc.root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("scenarios: %s was not parsed from a file; build scenarios with Parse", sc.Name)
	}
	root := copyNode(sc.root)
	set := func(key string, v *yaml.Node) { setKey(root, key, v) }
	set("seed", scalar(strconv.FormatUint(sc.Seed, 10)))
	set("duration", scalar(sc.Duration.String()))
	set("warmup", scalar(sc.Warmup.String()))
	set("replications", scalar(strconv.Itoa(sc.Replications)))
	if err := sc.writeClients(root); err != nil {
		return nil, err
	}
	strats, err := sc.strategyNodes(root)
	if err != nil {
		return nil, err
	}
	set("strategies", strats)
	set("faults", nil)
	if len(sc.Faults) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, f := range sc.Faults {
			seq.Content = append(seq.Content, f.node())
		}
		set("faults", seq)
	}
	set("checks", nil)
	if len(sc.Checks) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range sc.Checks {
			seq.Content = append(seq.Content, c.node())
		}
		set("checks", seq)
	}
	// Keep the keys in the order of the format (as the struct declares them).
	order := map[string]int{}
	for i, f := range fieldsOf(reflectValue(sc).Type()) {
		order[f.name] = i
	}
	type kv struct{ k, v *yaml.Node }
	var pairs []kv
	for i := 0; i+1 < len(root.Content); i += 2 {
		pairs = append(pairs, kv{root.Content[i], root.Content[i+1]})
	}
	slices.SortStableFunc(pairs, func(a, b kv) int { return order[a.k.Value] - order[b.k.Value] })
	root.Content = root.Content[:0]
	for _, p := range pairs {
		root.Content = append(root.Content, p.k, p.v)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeClients writes each client's rate and schedule into root.
func (sc *Scenario) writeClients(root *yaml.Node) error {
	topo := lookup(root, "topology")
	clients := lookup(topo, "clients")
	if clients == nil || clients.Kind != yaml.SequenceNode || len(clients.Content) != len(sc.Topology.Clients) {
		return fmt.Errorf("scenarios: %s: the clients no longer match the parsed file", sc.Name)
	}
	for i, c := range sc.Topology.Clients {
		n := clients.Content[i]
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("scenarios: %s: client %d is not a mapping", sc.Name, i)
		}
		n.Style = 0
		setKey(n, "rate", scalar(c.Rate.String()))
		var seq *yaml.Node
		if len(c.Schedule) > 0 {
			seq = &yaml.Node{Kind: yaml.SequenceNode}
			for _, st := range c.Schedule {
				m := flow()
				add(m, "at", st.At.String())
				add(m, "rate", st.Rate.String())
				if st.Duration > 0 {
					add(m, "duration", st.Duration.String())
				}
				if st.Ramp > 0 {
					add(m, "ramp", st.Ramp.String())
				}
				seq.Content = append(seq.Content, m)
			}
		}
		setKey(n, "schedule", seq)
	}
	return nil
}

// strategyNodes returns the parsed strategies' nodes for sc.Strategies, by
// name.
func (sc *Scenario) strategyNodes(root *yaml.Node) (*yaml.Node, error) {
	parsed := lookup(root, "strategies")
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range sc.Strategies {
		var found *yaml.Node
		if parsed != nil {
			for _, n := range parsed.Content {
				if v := lookup(n, "name"); v != nil && v.Value == s.Name {
					found = n
				}
			}
		}
		if found == nil {
			if parsed == nil && len(sc.Strategies) == 1 {
				return nil, nil // the default strategy
			}
			return nil, fmt.Errorf("scenarios: %s: strategy %q is not in the parsed file", sc.Name, s.Name)
		}
		seq.Content = append(seq.Content, found)
	}
	return seq, nil
}

func (f Fault) node() *yaml.Node {
	m := flow()
	add(m, "kind", f.Kind)
	add(m, "at", f.At.String())
	if f.Duration > 0 {
		add(m, "duration", f.Duration.String())
	}
	t := flow()
	tg := f.Target
	for _, kv := range [][2]string{{"service", tg.Service}, {"edge", tg.Edge}, {"region", tg.Region}, {"zone", tg.Zone}, {"client", tg.Client}} {
		if kv[1] != "" {
			add(t, kv[0], kv[1])
		}
	}
	if len(tg.Names) > 0 {
		names := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, n := range tg.Names {
			names.Content = append(names.Content, scalar(n))
		}
		t.Content = append(t.Content, scalar("names"), names)
	}
	if tg.Mode != "" && tg.Mode != "all" {
		add(t, "mode", tg.Mode)
	}
	if tg.Mode == "count" || tg.Mode == "percent" {
		add(t, "value", strconv.FormatFloat(tg.Value, 'g', -1, 64))
	}
	if len(t.Content) > 0 {
		m.Content = append(m.Content, scalar("target"), t)
	}
	if len(f.Params) > 0 {
		p := flow()
		keys := make([]string, 0, len(f.Params))
		for k := range f.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p.Content = append(p.Content, scalar(k), copyNode(f.Params[k]))
		}
		m.Content = append(m.Content, scalar("params"), p)
	}
	return m
}

func (c Check) node() *yaml.Node {
	m := flow()
	if c.Name != "" && c.Name != c.defaultName() {
		add(m, "name", c.Name)
	}
	add(m, "metric", c.Metric)
	if c.Max != nil {
		add(m, "max", c.Max.Text)
	}
	if c.Min != nil {
		add(m, "min", c.Min.Text)
	}
	if c.Strategy != "" {
		add(m, "strategy", c.Strategy)
	}
	if c.Phase != "" {
		add(m, "phase", c.Phase)
	}
	if c.On != "" && c.On != "mean" {
		add(m, "on", c.On)
	}
	return m
}

// MaxCheck returns a check that metric is at most text (in the metric's
// unit, as a scenario file writes it), on one strategy or all (""). Add it
// to a scenario's Checks and reparse its YAML to evaluate it.
func MaxCheck(metric, text, strategy string) Check {
	return Check{Metric: metric, Max: &Threshold{Text: text}, Strategy: strategy}
}

// MinCheck is MaxCheck's lower bound.
func MinCheck(metric, text, strategy string) Check {
	return Check{Metric: metric, Min: &Threshold{Text: text}, Strategy: strategy}
}

func flow() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} }

func scalar(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: "!!str"}
	// Plain style where YAML reads the text back as the same string.
	var back any
	if err := yaml.Unmarshal([]byte(v), &back); err == nil {
		if s, ok := back.(string); ok && s == v {
			n.Tag = ""
		}
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		n.Tag = "" // numbers are read by the scenario decoder from their text
	}
	return n
}

func add(m *yaml.Node, k, v string) { m.Content = append(m.Content, scalar(k), scalar(v)) }

// lookup returns the value of key in mapping n (nil when absent).
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// setKey sets key in mapping n to v, or deletes it when v is nil.
func setKey(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v == nil {
				n.Content = slices.Delete(n.Content, i, i+2)
			} else {
				n.Content[i+1] = v
			}
			return
		}
	}
	if v != nil {
		n.Content = append(n.Content, scalar(key), v)
	}
}

// copyNode deep-copies n, resolving aliases and dropping comments.
func copyNode(n *yaml.Node) *yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	c.Anchor = ""
	c.Content = nil
	for _, x := range n.Content {
		c.Content = append(c.Content, copyNode(x))
	}
	return &c
}

// GoString shows the scenario as its name and fault schedule, as a file
// would write the faults (rapid prints what a test draws with %#v).
func (sc *Scenario) GoString() string {
	var fs []string
	for _, f := range sc.Faults {
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		if err := enc.Encode(f.node()); err != nil {
			return sc.Name
		}
		fs = append(fs, strings.TrimSpace(b.String()))
	}
	return fmt.Sprintf("scenario %s (seed %d) with faults [%s]", sc.Name, sc.Seed, strings.Join(fs, ", "))
}
