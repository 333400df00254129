package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override replaces one value of a scenario before it is decoded, as
// `--set path=value` does on the command line. Path is dotted keys with
// list elements by index or by name:
//
//	topology.clients[0].rate=120/s
//	topology.services[api].replicas=8
//	strategies[p2c].params.choices=3
//	topology.telemetry={interval: 5s, delay: 1s}
//
// Value is YAML (a scalar, or a flow mapping or list). Overrides are
// applied to the YAML node tree, so the decoder and validation check them
// like any other value; a problem with one is reported at the flag
// ("--set topology.clients[0].rate=fast: expected a rate such as 90/s…")
// rather than at a line of the file.
type Override struct {
	Path  string
	Value string
	// Flag names where the override came from in messages ("--set", or
	// "--param" for a sweep); default "--set".
	Flag string
}

// ParseOverride reads "path=value".
func ParseOverride(s string) (Override, error) {
	path, value, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return Override{}, fmt.Errorf("expected path=value, such as topology.services[0].replicas=4, got %q", s)
	}
	if _, err := parsePath(path); err != nil {
		return Override{}, err
	}
	if strings.TrimSpace(value) == "" {
		// An empty value would parse as YAML null and silently reset
		// the key to its default; say which was meant.
		return Override{}, fmt.Errorf("%s= has no value: write %s=null to reset it to its default, or %s=\"\" for an empty string", path, path, path)
	}
	return Override{Path: path, Value: value}, nil
}

// String is the override as a command line writes it: --set path=value.
func (o Override) String() string {
	f := o.Flag
	if f == "" {
		f = "--set"
	}
	return f + " " + o.Path + "=" + o.Value
}

// Arg is the override's flag argument, path=value.
func (o Override) Arg() string { return o.Path + "=" + o.Value }

// pathStep is one step of an override path: a mapping key, a list index
// or a list element selected by its name key.
type pathStep struct {
	key   string // mapping key, when not an element step
	index int    // list index, or -1
	name  string // list element by name, when index is -1 and key is ""
}

func (s pathStep) String() string {
	switch {
	case s.key != "":
		return s.key
	case s.index >= 0:
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "[" + s.name + "]"
}

// parsePath splits "a.b[0].c[name]" into steps.
func parsePath(p string) ([]pathStep, error) {
	var steps []pathStep
	rest := p
	bad := func(why string) ([]pathStep, error) {
		return nil, fmt.Errorf("bad path %q: %s; write dotted keys with [i] or [name] for list elements, such as topology.services[api].replicas", p, why)
	}
	for rest != "" {
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return bad("unclosed [")
			}
			sel := strings.TrimSpace(rest[1:end])
			if sel == "" {
				return bad("empty []")
			}
			if i, err := strconv.Atoi(sel); err == nil {
				if i < 0 {
					return bad("negative index")
				}
				steps = append(steps, pathStep{index: i})
			} else {
				steps = append(steps, pathStep{index: -1, name: sel})
			}
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ".") {
				rest = rest[1:]
				if rest == "" {
					return bad("ends with .")
				}
			} else if rest != "" && rest[0] != '[' {
				return bad("expected . or [ after ]")
			}
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			if key == "" {
				return bad("empty key")
			}
			steps = append(steps, pathStep{key: key, index: -1})
			rest = rest[end:]
			if strings.HasPrefix(rest, ".") {
				rest = rest[1:]
				if rest == "" {
					return bad("ends with .")
				}
			}
		}
	}
	if len(steps) == 0 {
		return bad("empty path")
	}
	return steps, nil
}

// overrideLine marks nodes that come from override k: their line is
// -(k+1), so errors at them are reported at the flag.
func overrideLine(k int) int { return -(k + 1) }

// applyOverrides sets each override's value in the document root,
// creating missing mappings on the way. Problems with a path (an index
// out of range, no element of that name) are returned as errors at the
// flag; unknown keys are left for the decoder, which reports them with a
// suggestion.
func applyOverrides(root *yaml.Node, sets []Override) ErrorList {
	var errs ErrorList
	for k, o := range sets {
		fail := func(format string, args ...any) {
			errs = append(errs, &Error{File: o.String(), Msg: fmt.Sprintf(format, args...)})
		}
		steps, err := parsePath(o.Path)
		if err != nil {
			fail("%v", err)
			continue
		}
		var val yaml.Node
		if err := yaml.Unmarshal([]byte(o.Value), &val); err != nil {
			fail("the value is not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
			continue
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
		if val.Kind == yaml.DocumentNode && len(val.Content) > 0 {
			v = val.Content[0]
		}
		mark(v, overrideLine(k))
		if err := setPath(root, steps, v, overrideLine(k)); err != nil {
			fail("%v", err)
		}
	}
	return errs
}

// mark gives every node of a tree the line of an override.
func mark(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		mark(c, line)
	}
}

// setPath walks steps from n and puts v at the end.
func setPath(n *yaml.Node, steps []pathStep, v *yaml.Node, line int) error {
	done := ""
	for i, st := range steps {
		n = resolve(n)
		last := i == len(steps)-1
		where := done
		if where == "" {
			where = "the document"
		}
		if st.key != "" {
			if isNull(n) && n.Kind == yaml.ScalarNode {
				*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
			} else if n.Kind == yaml.ScalarNode && (st.key == "params" || st.key == "kind") {
				// A plug point written by name (reconciler: argocd) is
				// shorthand for {kind: argocd}: expand it so its
				// parameters can be set.
				*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column, Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: "kind", Line: n.Line, Column: n.Column}, n2(*n)}}
			}
			if n.Kind != yaml.MappingNode {
				return fmt.Errorf("%s is a %s, not a mapping with key %q", where, kindName(n), st.key)
			}
			var child *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == st.key {
					child = n.Content[j+1]
				}
			}
			if child == nil || last {
				if child != nil {
					replace(n, st.key, v)
				} else {
					child = v
					if !last {
						child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
					}
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key, Line: line}, child)
				}
			}
			n = child
			done = joinStep(done, st)
			continue
		}
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s is a %s, not a list", where, kindName(n))
		}
		j := st.index
		if j < 0 {
			var names []string
			j = -1
			for e, item := range n.Content {
				item = resolve(item)
				if item.Kind != yaml.MappingNode {
					continue
				}
				for p := 0; p+1 < len(item.Content); p += 2 {
					if item.Content[p].Value == "name" {
						names = append(names, item.Content[p+1].Value)
						if item.Content[p+1].Value == st.name {
							j = e
						}
					}
				}
			}
			if j < 0 {
				hint := didYouMean(st.name, names)
				msg := fmt.Sprintf("%s has no element named %q; names are %s", where, st.name, strings.Join(names, ", "))
				if hint != "" {
					msg += " (" + hint + ")"
				}
				return fmt.Errorf("%s", msg)
			}
		} else if j >= len(n.Content) {
			return fmt.Errorf("%s has %d element%s; index %d is out of range", where, len(n.Content), plural(len(n.Content)), j)
		}
		if last {
			n.Content[j] = v
			return nil
		}
		n = n.Content[j]
		done = joinStep(done, pathStep{index: j})
	}
	return nil
}

// n2 is a copy of scalar n on the heap.
func n2(n yaml.Node) *yaml.Node { return &n }

func replace(m *yaml.Node, key string, v *yaml.Node) {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			m.Content[j+1] = v
		}
	}
}

func joinStep(done string, st pathStep) string {
	if st.key == "" || done == "" {
		return done + st.String()
	}
	return done + "." + st.key
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
