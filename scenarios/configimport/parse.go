package configimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// doc is one YAML document of an imported file.
type doc struct {
	file string
	root *yaml.Node // the document's mapping
}

// ImportFile reads a configuration file and imports every document in it.
func ImportFile(path string) (*Block, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Import(path, src)
}

// Import imports configuration text; name is used in positions. A file
// may hold several YAML documents (--- between them): an Envoy Cluster
// and RouteConfiguration, an Istio DestinationRule and VirtualService, a
// Deployment and its HorizontalPodAutoscaler … Their values combine into
// one block; a value two documents both set is an error.
func Import(name string, src []byte) (*Block, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	b := &Block{File: name}
	n := 0
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Pos{File: name}, "not YAML: " + err.Error()}
		}
		if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
			if len(root.Content) > 0 && root.Content[0].Tag == "!!null" {
				continue
			}
			return nil, &Error{posOf(name, &root), "expected a mapping (an Envoy, Istio, Kubernetes, Flagger or Argo Rollouts resource)"}
		}
		n++
		d := doc{file: name, root: root.Content[0]}
		if err := importDoc(b, d); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, &Error{Pos{File: name}, "no resource in the file"}
	}
	return b, nil
}

func importDoc(b *Block, d doc) error {
	kind := d.str("kind")
	api := d.str("apiVersion")
	typ := d.str("@type")
	switch {
	case typ == "type.googleapis.com/envoy.config.cluster.v3.Cluster" || typ == "" && kind == "" && looksLikeCluster(d):
		return importEnvoyCluster(b, d)
	case typ == "type.googleapis.com/envoy.config.route.v3.RouteConfiguration" || typ == "" && kind == "" && d.get("virtual_hosts") != nil:
		return importEnvoyRoutes(b, d)
	case kind == "DestinationRule" && strings.HasPrefix(api, "networking.istio.io/"):
		return importDestinationRule(b, d)
	case kind == "VirtualService" && strings.HasPrefix(api, "networking.istio.io/"):
		return importVirtualService(b, d)
	case kind == "HorizontalPodAutoscaler" && strings.HasPrefix(api, "autoscaling/"):
		return importHPA(b, d)
	case kind == "Deployment" && api == "apps/v1":
		return importDeployment(b, d)
	case kind == "Canary" && strings.HasPrefix(api, "flagger.app/"):
		return importCanary(b, d)
	case kind == "Rollout" && strings.HasPrefix(api, "argoproj.io/"):
		return importRollout(b, d)
	case typ != "":
		return &Error{d.pos(d.get("@type")), fmt.Sprintf("unsupported Envoy resource %s; expected an envoy.config.cluster.v3.Cluster or envoy.config.route.v3.RouteConfiguration", typ)}
	}
	return &Error{posOf(d.file, d.root), fmt.Sprintf("not a configuration tangle imports (apiVersion %q, kind %q); expected an Envoy Cluster or RouteConfiguration, an Istio DestinationRule or VirtualService, a Kubernetes HorizontalPodAutoscaler or Deployment, a Flagger Canary or an Argo Rollout", api, kind)}
}

func looksLikeCluster(d doc) bool {
	for _, k := range []string{"lb_policy", "connect_timeout", "load_assignment", "outlier_detection", "circuit_breakers", "common_lb_config", "least_request_lb_config", "ring_hash_lb_config", "maglev_lb_config"} {
		if d.get(k) != nil {
			return true
		}
	}
	return false
}

func posOf(file string, n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Col: n.Column} }

// pos is the position of n in d's file (the document's start for nil).
func (d doc) pos(n *yaml.Node) Pos {
	if n == nil {
		n = d.root
	}
	return posOf(d.file, n)
}

// get follows a dotted path of mapping keys from the document's root.
func (d doc) get(path string) *yaml.Node { return lookup(d.root, path) }

func lookup(n *yaml.Node, path string) *yaml.Node {
	for _, seg := range strings.Split(path, ".") {
		k, idx := seg, []int(nil)
		if i := strings.IndexByte(seg, '['); i >= 0 {
			k = seg[:i]
			for _, part := range strings.Split(strings.TrimSuffix(seg[i+1:], "]"), "][") {
				x, err := strconv.Atoi(part)
				if err != nil {
					return nil
				}
				idx = append(idx, x)
			}
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
		for _, x := range idx {
			if n == nil || n.Kind != yaml.SequenceNode || x >= len(n.Content) {
				return nil
			}
			n = n.Content[x]
		}
	}
	return n
}

func (d doc) str(path string) string {
	if n := d.get(path); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// from names a source field for provenance: "Cluster outlier_detection.interval (file:line:col)".
func (d doc) from(what, path string) string {
	return fmt.Sprintf("%s %s (%s)", what, path, d.pos(d.get(path)))
}

// json returns the node (the document's root for nil) as JSON, for the
// projects' own decoders.
func (d doc) json(n *yaml.Node) ([]byte, error) {
	if n == nil {
		n = d.root
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// fields says which fields of a document tangle models. Patterns are
// dotted paths with [*] for any list index; a pattern covers everything
// under it.
type fields struct {
	modelled []string // imported
	identity []string // names and wiring that say nothing about behaviour: skipped silently
	whole    []string // not modelled, warned once for the whole subtree
	msg      func(path string) string
}

func compile(patterns []string) []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		q := regexp.QuoteMeta(p)
		q = strings.ReplaceAll(q, `\[\*\]`, `\[\d+\]`)
		res[i] = regexp.MustCompile("^" + q + `(\.|\[|$)`)
	}
	return res
}

func matches(res []*regexp.Regexp, path string) bool {
	for _, re := range res {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// warnUnmodelled adds a warning for every field under n (its path prefixed
// with base in messages) that f neither models nor calls identity.
func warnUnmodelled(b *Block, d doc, n *yaml.Node, base string, f fields) {
	modelled, identity, whole := compile(f.modelled), compile(f.identity), compile(f.whole)
	msg := f.msg
	if msg == nil {
		msg = func(string) string { return "not modelled by tangle; ignored" }
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				p := k
				if path != "" {
					p = path + "." + k
				}
				if matches(modelled, p) && !hasDeeper(f.modelled, p) || matches(identity, p) {
					continue
				}
				v := n.Content[i+1]
				nested := v.Kind == yaml.MappingNode && len(v.Content) > 0 || v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Content[0].Kind == yaml.MappingNode
				if nested && !matches(whole, p) {
					walk(v, p)
					continue
				}
				if matches(modelled, p) {
					continue
				}
				b.Warnings = append(b.Warnings, Warning{Pos: posOf(d.file, n.Content[i]), Field: base + p, Msg: msg(p)})
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(n, "")
}

// hasDeeper reports whether a pattern names something strictly under p
// (so p itself is only partly modelled and is walked into).
func hasDeeper(patterns []string, p string) bool {
	re := compile([]string{p})[0]
	for _, q := range patterns {
		if len(q) > len(p) && re.MatchString(strings.ReplaceAll(q, "[*]", "[0]")) {
			return true
		}
	}
	return false
}

// keyPos finds the position of the first key named name under n, for
// errors that name a field but not where it is.
func keyPos(d doc, name string) Pos {
	var found *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if found != nil || n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					found = n.Content[i]
					return
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.root)
	return d.pos(found)
}

// pgvField finds the field a protoc-gen-validate error names
// ("invalid Cluster_LeastRequestLbConfig.ChoiceCount: value must …").
var pgvField = regexp.MustCompile(`invalid [A-Za-z0-9_]+\.([A-Za-z0-9]+): value`)

// snake turns a Go field name into its proto field name (ChoiceCount:
// choice_count, Consecutive_5Xx: consecutive_5xx).
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && s[i-1] != '_' {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var typeURL = regexp.MustCompile(`type\.googleapis\.com/[A-Za-z0-9_.]+`)

// valuePos finds the position of the first scalar whose value is v.
func valuePos(d doc, v string) Pos {
	var found *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if found != nil {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Value == v {
			found = n
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.root)
	return d.pos(found)
}

var quotedField = regexp.MustCompile(`field "?([A-Za-z0-9_@.]+)"?`)

// decodeError positions an error of a project's decoder at the field it
// names, when it names one.
func decodeError(d doc, what string, err error) error {
	msg := err.Error()
	p := d.pos(nil)
	if ms := pgvField.FindAllStringSubmatch(msg, -1); ms != nil {
		p = keyPos(d, snake(ms[len(ms)-1][1]))
	} else if m := typeURL.FindString(msg); m != "" {
		p = valuePos(d, m)
	} else if m := quotedField.FindStringSubmatch(msg); m != nil {
		name := m[1]
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		p = keyPos(d, name)
	}
	return &Error{p, fmt.Sprintf("%s: %s", what, msg)}
}
