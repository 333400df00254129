package configimport

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is a position in an imported file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Warning names a field of an imported file that tangle does not model
// (or models differently), where it is.
type Warning struct {
	Pos   Pos
	Field string // the field's path in the file, e.g. circuit_breakers.thresholds[0].max_connections
	Msg   string
}

func (w Warning) String() string { return fmt.Sprintf("%s: warning: %s: %s", w.Pos, w.Field, w.Msg) }

// Error is a value the real system rejects, or a file that is not one of
// the formats, with where it is.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// KV is one imported strategy parameter: its key in the scenario format,
// its value as a scenario file writes it, and the field it came from.
type KV struct {
	Key   string
	Value string // scenario syntax: 10s, 20%, 3, true, least-request
	From  string // the source field, e.g. "Cluster least_request_lb_config.choice_count (envoy.yaml:7:5)"
}

// Plug is an imported guard or rollout: a kind and its parameters.
type Plug struct {
	Kind   string
	From   string
	Params []KV
}

// Block is a strategy's parameters imported from one configuration file,
// in the scenario format's terms (see tangle list strategies).
type Block struct {
	File    string
	Formats []string // what the file held, e.g. "Envoy Cluster", "Istio VirtualService"
	Routing *KV
	Params  []KV // the picker's parameters
	Panic   *KV  // panic_threshold
	Retries []KV
	Hedging []KV // hedging: (an Envoy route's hedge_policy)
	Guards  []Plug
	Rollout *Plug
	// Autoscaling is an imported autoscaler (a HorizontalPodAutoscaler's):
	// one entry of the strategy's autoscaling list.
	Autoscaling *Scale
	Warnings    []Warning
}

// Scale is an imported autoscaler: the service it scales (the scale
// target's name), its kind and parameters.
type Scale struct {
	Service string
	Plug
}

// Sources lists every imported value as "key = value ← field", in the
// order the strategy block writes them: what tangle explain and the report
// show as the parameters' provenance.
func (b *Block) Sources() []string {
	var out []string
	add := func(prefix string, kvs []KV) {
		for _, kv := range kvs {
			out = append(out, fmt.Sprintf("%s%s = %s ← %s", prefix, kv.Key, kv.Value, kv.From))
		}
	}
	if b.Routing != nil {
		add("", []KV{*b.Routing})
	}
	add("params.", b.Params)
	if b.Panic != nil {
		add("", []KV{*b.Panic})
	}
	add("retries.", b.Retries)
	add("hedging.", b.Hedging)
	for _, g := range b.Guards {
		out = append(out, fmt.Sprintf("guards[%s] ← %s", g.Kind, g.From))
		add("guards["+g.Kind+"].params.", g.Params)
	}
	if b.Rollout != nil {
		out = append(out, fmt.Sprintf("rollout = %s ← %s", b.Rollout.Kind, b.Rollout.From))
		add("rollout.params.", b.Rollout.Params)
	}
	if a := b.Autoscaling; a != nil {
		out = append(out, fmt.Sprintf("autoscaling[%s] = %s ← %s", a.Service, a.Kind, a.From))
		add("autoscaling["+a.Service+"].params.", a.Params)
	}
	return out
}

// Node returns the block as the mapping a scenario's strategy entry
// would hold (routing, params, panic_threshold, retries, guards, rollout,
// autoscaling), every node positioned at line:col (the from: key that
// imported it), so the scenario's own checks report problems there.
func (b *Block) Node(line, col int) *yaml.Node {
	at := func(n *yaml.Node) *yaml.Node { n.Line, n.Column = line, col; return n }
	str := func(s string) *yaml.Node {
		n := at(&yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"})
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			n.Tag = ""
		}
		if s == "true" || s == "false" {
			n.Tag = "!!bool"
		}
		return n
	}
	mapping := func(kvs []KV) *yaml.Node {
		m := at(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		for _, kv := range kvs {
			m.Content = append(m.Content, str(kv.Key), str(kv.Value))
		}
		return m
	}
	root := at(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	put := func(k string, v *yaml.Node) { root.Content = append(root.Content, str(k), v) }
	if b.Routing != nil {
		put("routing", str(b.Routing.Value))
	}
	if len(b.Params) > 0 {
		put("params", mapping(b.Params))
	}
	if b.Panic != nil {
		put("panic_threshold", str(b.Panic.Value))
	}
	if len(b.Retries) > 0 {
		put("retries", mapping(b.Retries))
	}
	if len(b.Hedging) > 0 {
		put("hedging", mapping(b.Hedging))
	}
	if len(b.Guards) > 0 {
		seq := at(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
		for _, g := range b.Guards {
			m := at(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
			m.Content = append(m.Content, str("guard"), str(g.Kind))
			if len(g.Params) > 0 {
				m.Content = append(m.Content, str("params"), mapping(g.Params))
			}
			seq.Content = append(seq.Content, m)
		}
		put("guards", seq)
	}
	if b.Rollout != nil {
		m := at(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		m.Content = append(m.Content, str("kind"), str(b.Rollout.Kind))
		if len(b.Rollout.Params) > 0 {
			m.Content = append(m.Content, str("params"), mapping(b.Rollout.Params))
		}
		put("rollout", m)
	}
	if a := b.Autoscaling; a != nil {
		m := at(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		m.Content = append(m.Content, str("service"), str(a.Service), str("autoscaler"), str(a.Kind))
		if len(a.Params) > 0 {
			m.Content = append(m.Content, str("params"), mapping(a.Params))
		}
		put("autoscaling", at(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{m}}))
	}
	return root
}

// YAML writes the block as a strategy entry of a scenario file named
// name, each value commented with the field it came from; the warnings
// follow as comments.
func (b *Block) YAML(name string) string {
	var w strings.Builder
	fmt.Fprintf(&w, "# imported from %s (%s)\n", b.File, strings.Join(b.Formats, ", "))
	fmt.Fprintf(&w, "- name: %s\n", name)
	kvs := func(indent string, list []KV) {
		for _, kv := range list {
			fmt.Fprintf(&w, "%s%s: %s  # %s\n", indent, kv.Key, quote(kv.Value), kv.From)
		}
	}
	if b.Routing != nil {
		kvs("  ", []KV{*b.Routing})
	}
	if len(b.Params) > 0 {
		w.WriteString("  params:\n")
		kvs("    ", b.Params)
	}
	if b.Panic != nil {
		kvs("  ", []KV{*b.Panic})
	}
	if len(b.Retries) > 0 {
		w.WriteString("  retries:\n")
		kvs("    ", b.Retries)
	}
	if len(b.Hedging) > 0 {
		w.WriteString("  hedging:\n")
		kvs("    ", b.Hedging)
	}
	if len(b.Guards) > 0 {
		w.WriteString("  guards:\n")
		for _, g := range b.Guards {
			fmt.Fprintf(&w, "    - guard: %s  # %s\n", g.Kind, g.From)
			if len(g.Params) > 0 {
				w.WriteString("      params:\n")
				kvs("        ", g.Params)
			}
		}
	}
	if b.Rollout != nil {
		w.WriteString("  rollout:\n")
		fmt.Fprintf(&w, "    kind: %s  # %s\n", b.Rollout.Kind, b.Rollout.From)
		if len(b.Rollout.Params) > 0 {
			w.WriteString("    params:\n")
			kvs("      ", b.Rollout.Params)
		}
	}
	if a := b.Autoscaling; a != nil {
		w.WriteString("  autoscaling:\n")
		fmt.Fprintf(&w, "    - service: %s  # the scale target (give the scenario's service this name, or max_replicas to one service only)\n", quote(a.Service))
		fmt.Fprintf(&w, "      autoscaler: %s  # %s\n", a.Kind, a.From)
		if len(a.Params) > 0 {
			w.WriteString("      params:\n")
			kvs("        ", a.Params)
		}
	}
	for _, wn := range b.Warnings {
		fmt.Fprintf(&w, "# %s\n", wn)
	}
	return w.String()
}

// quote quotes a value that YAML would read as something else.
func quote(s string) string {
	if strings.ContainsAny(s, ":#,{}[]&*!|>'\"%@`") || strings.HasPrefix(s, " ") {
		return strconv.Quote(s)
	}
	return s
}
