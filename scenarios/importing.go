package scenarios

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/scenarios/configimport"
)

// expandImports replaces every strategy's from: FILE with the parameters
// imported from that file (an Envoy, Istio, Kubernetes, Flagger or Argo
// Rollouts configuration), merged under what the strategy writes itself:
// a key the strategy sets wins, params and retries merge key by key, and
// imported guards are added unless the strategy lists that guard. The
// imported nodes are positioned at the from: value, so problems with
// imported values are reported there. It returns the blocks by strategy
// index, the import warnings, and a line per imported file ("FROM
// sha256") that the scenario's hash covers, so a changed file is a
// changed scenario (sweep resume and the manifest notice it).
func expandImports(d *decoder, root *yaml.Node, file string) (map[int]*configimport.Block, []string, []byte) {
	root = resolve(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, nil, nil
	}
	var strategies *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "strategies" {
			strategies = resolve(root.Content[i+1])
		}
	}
	if strategies == nil || strategies.Kind != yaml.SequenceNode {
		return nil, nil, nil
	}
	blocks := map[int]*configimport.Block{}
	var warnings []string
	var sums []byte // what the imported files held, for the scenario's hash
	for i, s := range strategies.Content {
		s = resolve(s)
		if s.Kind != yaml.MappingNode {
			continue
		}
		var from *yaml.Node
		for k := 0; k+1 < len(s.Content); k += 2 {
			if s.Content[k].Value == "from" {
				from = s.Content[k+1]
			}
		}
		if from == nil || from.Kind != yaml.ScalarNode || from.Value == "" {
			continue
		}
		path := index("strategies", i) + ".from"
		if strings.HasPrefix(file, "builtin:") {
			d.errorAt(from, path, "", "a built-in scenario cannot import files")
			continue
		}
		target := from.Value
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(file), target)
		}
		b, err := configimport.ImportFile(target)
		if err != nil {
			d.errorAt(from, path, "", "%v", err)
			continue
		}
		blocks[i] = b
		if src, err := os.ReadFile(target); err == nil {
			sum := sha256.Sum256(src)
			sums = fmt.Appendf(sums, "%s %x\n", from.Value, sum)
		}
		for _, w := range b.Warnings {
			warnings = append(warnings, fmt.Sprintf("%s:%d:%d: %s: %s", file, from.Line, from.Column, path, w))
		}
		if a := b.Autoscaling; a != nil {
			if to, renamed := importedPool(root, a.Service); renamed {
				warnings = append(warnings, fmt.Sprintf("%s:%d:%d: %s: warning: the HorizontalPodAutoscaler scales %q, which is not a service here; it is applied to %s, the scenario's one service with max_replicas", file, from.Line, from.Column, path, a.Service, to))
				a.Service = to
			}
		}
		node := b.Node(from.Line, from.Column)
		if r := lookupKey(s, "routing"); r != nil && b.Routing != nil && r.Value != b.Routing.Value {
			// The picker's parameters belong to the imported routing.
			dropKey(node, "params")
			warnings = append(warnings, fmt.Sprintf("%s:%d:%d: %s: warning: routing %s is written in the scenario, so the file's %s parameters are not imported", file, from.Line, from.Column, path, r.Value, b.Routing.Value))
		}
		merge(s, node)
	}
	return blocks, warnings, sums
}

// merge adds src's keys to dst where dst lacks them; mappings present in
// both merge key by key, and guards merge by guard name.
func merge(dst, src *yaml.Node) {
	for k := 0; k+1 < len(src.Content); k += 2 {
		key, val := src.Content[k], src.Content[k+1]
		var have *yaml.Node
		for j := 0; j+1 < len(dst.Content); j += 2 {
			if dst.Content[j].Value == key.Value {
				have = resolve(dst.Content[j+1])
			}
		}
		switch {
		case have == nil || isNull(have):
			if have != nil {
				*have = *val
				continue
			}
			dst.Content = append(dst.Content, key, val)
		case have.Kind == yaml.MappingNode && val.Kind == yaml.MappingNode && key.Value != "rollout":
			merge(have, val)
		case key.Value == "autoscaling" && have.Kind == yaml.SequenceNode:
			mergeAutoscaling(have, val)
		case key.Value == "guards" && have.Kind == yaml.SequenceNode:
			named := map[string]bool{}
			for _, g := range have.Content {
				if n := lookupKey(resolve(g), "guard"); n != nil {
					named[n.Value] = true
				}
			}
			for _, g := range val.Content {
				if n := lookupKey(g, "guard"); n != nil && !named[n.Value] {
					have.Content = append(have.Content, g)
				}
			}
		}
	}
}

func dropKey(m *yaml.Node, key string) {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			m.Content = append(m.Content[:j], m.Content[j+2:]...)
			return
		}
	}
}

func lookupKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}

// Imported returns the parameters the strategy took from its from: file,
// each with the field it came from (nil without from:).
func (s *Strategy) Imported() *configimport.Block { return s.imported }
