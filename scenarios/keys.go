package scenarios

import (
	"reflect"
	"regexp"
	"strings"
)

// Key documents one key of the scenario format, as the struct tags of
// the scenario types declare it: the format reference (docs/), `tangle
// explain` and the JSON Schema are generated from these.
type Key struct {
	Path     string // dotted, with [] for list elements: topology.services[].replicas
	Type     string // duration, rate, ratio, distribution, integer, …
	Default  string // as a file would write it; "" when none
	Required bool
	Doc      string
	field    reflect.StructField
}

// Keys lists every key of the scenario format, depth first in file order.
func Keys() []Key {
	var out []Key
	walkKeys(reflect.TypeFor[Scenario](), "", &out)
	return out
}

func walkKeys(t reflect.Type, prefix string, out *[]Key) {
	for _, fi := range fieldsOf(t) {
		f := t.FieldByIndex(fi.index)
		path := join(prefix, fi.name)
		k := Key{Path: path, Type: typeName(f.Type), Default: f.Tag.Get("default"), Required: fi.required, Doc: f.Tag.Get("doc"), field: f}
		*out = append(*out, k)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			walkKeys(ft.Elem(), path+"[]", out)
		} else if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(nodeDecoderType) {
			walkKeys(ft, path, out)
		}
	}
}

// typeName names a field's type as the format reference writes it.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Duration]():
		return "duration"
	case reflect.TypeFor[Rate]():
		return "rate"
	case reflect.TypeFor[Ratio]():
		return "ratio"
	case reflect.TypeFor[QueueCap]():
		return "queue capacity"
	case reflect.TypeFor[EdgeUse]():
		return "true, false or an edge's name"
	case reflect.TypeFor[Dist]():
		return "distribution"
	case reflect.TypeFor[RawParams]():
		return "parameters"
	case reflect.TypeFor[Threshold]():
		return "value in the metric's unit"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "list of mappings"
		}
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Struct:
		return "mapping"
	}
	return t.String()
}

var elemRE = regexp.MustCompile(`\[[^\]]*\]`)

// LookupKey finds a key by its path, with list elements written [], [0]
// or [name].
func LookupKey(path string) (Key, bool) {
	norm := elemRE.ReplaceAllString(path, "[]")
	for _, k := range Keys() {
		if k.Path == norm {
			return k, true
		}
	}
	return Key{}, false
}

// Example is the key's path with list elements indexed and an example
// value: topology.services[0].replicas=4.
func (k Key) Example() string {
	v := map[string]string{
		"duration": "10s", "rate": "100/s", "ratio": "1%", "queue capacity": "100", "distribution": "'{dist: exponential, mean: 20ms}'",
		"integer": "4", "number": "1.5", "bool": "true", "string": "NAME", "value in the metric's unit": "500ms",
	}[k.Type]
	if v == "" {
		v = "…"
	}
	if k.Default != "" && k.Default != "auto" && !strings.HasPrefix(k.Default, "[") {
		v = k.Default
	}
	return strings.ReplaceAll(k.Path, "[]", "[0]") + "=" + v
}
