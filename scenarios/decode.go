package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nodeDecoder is implemented by scenario types that parse their own YAML
// (durations, rates, distributions...). Implementations report problems
// through d and leave the value unchanged on error.
type nodeDecoder interface {
	decodeYAML(d *decoder, n *yaml.Node, path string)
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decoder turns a YAML node tree into scenario structs, recording the
// position of every value by path and collecting every error (it does not
// stop at the first).
type decoder struct {
	file string
	errs ErrorList
	pos  map[string]Pos
	sets []Override // applied to the tree before decoding

	// budget bounds the work of expanding aliases and merge keys: every
	// node decoded and every merged pair spends one, so a file whose
	// anchors nest exponentially ("billion laughs") is refused instead of
	// exhausting memory. Zero means unlimited (set by Parse).
	budget    int
	exhausted bool
}

// expansionFactor is how many times, on average, a node of a file may be
// decoded through aliases and merge keys; expansionFloor is the least
// budget any file gets.
const (
	expansionFactor = 20
	expansionFloor  = 100_000
)

// countNodes counts the nodes of a tree as written (not following aliases).
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// spend takes one unit of the expansion budget; when none is left it
// records one error at n and reports false, and the caller stops.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.exhausted {
		return false
	}
	if d.budget == 0 {
		return true
	}
	d.budget--
	if d.budget == 0 {
		d.exhausted = true
		d.errorAt(n, path, "use each anchor a few times at most, and do not nest merge keys (<<) of merged mappings", "aliases and merge keys expand to too many values (more than %d× the file's own)", expansionFactor)
		return false
	}
	return true
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]Pos{}}
}

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

// errorAt records an error at n.
func (d *decoder) errorAt(n *yaml.Node, path, hint, format string, args ...any) {
	d.add(&Error{File: d.file, Pos: posOf(n), Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// errorPath records an error at the position recorded for path (or the
// nearest recorded ancestor, for a key that is missing).
func (d *decoder) errorPath(path, hint, format string, args ...any) {
	d.add(&Error{File: d.file, Pos: d.nearest(path), Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// add records e; an error at a value that came from an override (a
// negative line) is reported at the flag instead of the file.
func (d *decoder) add(e *Error) {
	if k := -e.Pos.Line - 1; e.Pos.Line < 0 && k < len(d.sets) {
		e.File, e.Pos = d.sets[k].String(), Pos{}
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) nearest(path string) Pos {
	for p := path; p != ""; p = parentPath(p) {
		if pos, ok := d.pos[p]; ok {
			return pos
		}
	}
	return d.pos[""]
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// has reports whether the file set path (to anything but null).
func (d *decoder) has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// fieldInfo describes a struct field as scenario files name it.
type fieldInfo struct {
	name     string
	index    []int
	required bool
}

func fieldsOf(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("yaml")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		out = append(out, fieldInfo{name: name, index: f.Index, required: strings.Contains(opts, "required")})
	}
	return out
}

// decode fills v (addressable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if isNull(n) || !d.spend(n, path) {
		return
	}
	d.pos[path] = posOf(n)
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeYAML(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorAt(n, path, "", "expected a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), index(path, i))
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			if err := controlFree(s); err != nil {
				d.errorAt(n, path, "", "%v", err)
				return
			}
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "true or false"); ok {
			b, err := strconv.ParseBool(s)
			if err != nil || n.Tag != "!!bool" {
				d.errorAt(n, path, "", "expected true or false, got %q", s)
				return
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if s, ok := d.scalar(n, path, "an integer"); ok {
			i, err := strconv.ParseInt(s, 0, 64)
			if err != nil {
				d.errorAt(n, path, "", "expected an integer, got %q", s)
				return
			}
			v.SetInt(i)
		}
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		if s, ok := d.scalar(n, path, "a non-negative integer"); ok {
			u, err := strconv.ParseUint(s, 0, 64)
			if err != nil {
				d.errorAt(n, path, "", "expected a non-negative integer, got %q", s)
				return
			}
			v.SetUint(u)
		}
	case reflect.Float64:
		if s, ok := d.scalar(n, path, "a number"); ok {
			f, err := parseNumber(s)
			if err != nil {
				d.errorAt(n, path, "", "expected a finite number, got %q", s)
				return
			}
			v.SetFloat(f)
		}
	default:
		panic(fmt.Sprintf("scenarios: cannot decode into %s", v.Type()))
	}
}

// scalar returns n's value if n is a scalar, else records an error.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorAt(n, path, "", "expected %s, got a %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// mappingPairs returns the key/value pairs of a mapping node, expanding
// YAML merge keys (<<), and records an error for a duplicate key. A
// mapping merged twice is expanded once (its keys would be duplicates
// and ignored),
// and a mapping that merges itself, directly or through others, is an
// error rather than endless recursion.
func (d *decoder) mappingPairs(n *yaml.Node, path string) [][2]*yaml.Node {
	var pairs [][2]*yaml.Node
	seen := map[string]*yaml.Node{}
	// expanding holds the mappings being expanded (the merge chain from
	// n); expanded those already done.
	expanding, expanded := map[*yaml.Node]bool{}, map[*yaml.Node]bool{}
	var walk func(m *yaml.Node, isMerged bool)
	walk = func(m *yaml.Node, isMerged bool) {
		expanding[m] = true
		defer func() { expanding[m], expanded[m] = false, true }()
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, val := m.Content[i], m.Content[i+1]
			if !d.spend(k, path) {
				return
			}
			if k.Tag == "!!merge" {
				var sources []*yaml.Node
				switch val = resolve(val); val.Kind {
				case yaml.MappingNode:
					sources = []*yaml.Node{val}
				case yaml.SequenceNode:
					for _, item := range val.Content {
						if item = resolve(item); item.Kind == yaml.MappingNode {
							sources = append(sources, item)
						}
					}
				}
				for _, src := range sources {
					switch {
					case expanding[src]:
						d.errorAt(k, join(path, "<<"), "", "merge key (<<) merges a mapping that contains it; a mapping cannot include itself")
					case !expanded[src]:
						walk(src, true)
					}
				}
				continue
			}
			if prev, dup := seen[k.Value]; dup {
				if isMerged { // explicit keys override merged ones
					continue
				}
				d.errorAt(k, join(path, k.Value), "", "key is already set at line %d", prev.Line)
				continue
			}
			seen[k.Value] = k
			pairs = append(pairs, [2]*yaml.Node{k, val})
		}
	}
	walk(n, false)
	return pairs
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "", "expected a mapping of keys to values, got a %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	set := map[string]bool{}
	for _, kv := range d.mappingPairs(n, path) {
		k, val := kv[0], kv[1]
		i := -1
		for fi, f := range fields {
			if f.name == k.Value {
				i = fi
				break
			}
		}
		if i < 0 {
			d.errorAt(k, join(path, k.Value), didYouMean(k.Value, names), "unknown key; expected one of %s", strings.Join(names, ", "))
			continue
		}
		set[k.Value] = !isNull(resolve(val))
		d.decode(val, v.FieldByIndex(fields[i].index), join(path, k.Value))
	}
	for _, f := range fields {
		if f.required && !set[f.name] {
			d.errorAt(n, join(path, f.name), "", "is required")
		}
	}
}

// parse reads YAML text into a document node; a syntax error becomes a
// positioned *Error.
func parse(file string, src []byte) (*yaml.Node, *Error) {
	if e := checkText(file, src); e != nil {
		return nil, e
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Pos: Pos{1, 1}, Msg: "the file is empty; a scenario needs at least a name, a topology and a duration", Hint: "run `tangle new` for a commented example"}
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(file string, err error) *Error {
	msg := err.Error()
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Pos: Pos{line, 1}, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
