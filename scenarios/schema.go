package scenarios

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/strategies"
)

// SchemaID is the $id of the scenario JSON Schema.
const SchemaID = "https://github.com/tangle-sim/tangle/scenario.schema.json"

// Patterns of the scalar types, as the decoder reads them.
const (
	durationPattern = `^(0|-?([0-9]+(\.[0-9]+)?d)?([0-9]+(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))*)$`
	ratePattern     = `^\s*[0-9.eE+-]+\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$`
	percentPattern  = `^\s*[0-9.eE+-]+\s*%$`
)

// JSONSchema returns the JSON Schema (draft 2020-12) of scenario files,
// generated from the scenario types' yaml, doc and default tags with
// github.com/invopop/jsonschema. Strategy and fault parameters are
// checked per routing and per fault kind (if/then on routing and kind),
// from the same registries the decoder uses. Editors with YAML schema
// support validate and complete scenario files with it.
func JSONSchema() ([]byte, error) {
	structs := map[string]reflect.Type{}
	collectStructs(reflect.TypeFor[Scenario](), structs)
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true, // required comes from the yaml tag, below
		Mapper:                     scalarSchema,
		LookupComment: func(t reflect.Type, field string) string {
			if field == "" {
				return ""
			}
			if f, ok := t.FieldByName(field); ok {
				return f.Tag.Get("doc")
			}
			return ""
		},
	}
	s := r.Reflect(&Scenario{})
	s.ID = SchemaID
	s.Title = "tangle scenario"
	s.Description = "A tangle scenario file (format version " + strconv.Itoa(FormatVersion) + "): see docs/scenario-format.md"
	for name, def := range s.Definitions {
		t, ok := structs[name]
		if !ok {
			continue
		}
		def.Required = nil
		for _, fi := range fieldsOf(t) {
			f := t.FieldByIndex(fi.index)
			if fi.required {
				def.Required = append(def.Required, fi.name)
			}
			if d, ok := f.Tag.Lookup("default"); ok && d != "auto" {
				if p, ok := def.Properties.Get(fi.name); ok && p.Ref == "" {
					p.Default = defaultValue(d)
				}
			}
		}
	}
	if d := s.Definitions["Strategy"]; d != nil {
		d.AllOf = append(d.AllOf, routingConditions()...)
		setEnum(d, "routing", strategies.RoutingNames())
		setEnum(d, "load", []string{"local", "signal", "live"})
	}
	if d := s.Definitions["EdgeRoute"]; d != nil {
		d.AllOf = append(d.AllOf, routingConditions()...)
		setEnum(d, "routing", strategies.RoutingNames())
	}
	if d := s.Definitions["Fault"]; d != nil {
		setEnum(d, "kind", faults.Names())
		for _, f := range faults.Defs() {
			d.AllOf = append(d.AllOf, paramCondition("kind", f.Name, f.Params))
		}
	}
	if d := s.Definitions["Controller"]; d != nil {
		setEnum(d, "pattern", patternNames())
		setEnum(d, "scope", []string{"edge", "sidecar"})
		setEnum(d, "composition", []string{"precedence", "merge"})
	}
	if d := s.Definitions["PolicyUse"]; d != nil {
		setEnum(d, "kind", strategies.PolicyNames())
		for _, p := range strategies.Policies() {
			d.AllOf = append(d.AllOf, paramCondition("kind", p.Name, p.Params))
		}
	}
	if d := s.Definitions["Target"]; d != nil {
		setEnum(d, "mode", faults.Modes())
	}
	if d := s.Definitions["Client"]; d != nil {
		setEnum(d, "arrival", []string{"poisson", "constant"})
	}
	if d := s.Definitions["Check"]; d != nil {
		setEnum(d, "phase", []string{"before", "during", "after"})
		setEnum(d, "on", []string{"mean", "ci"})
	}
	if d := s.Definitions["SLO"]; d != nil {
		setEnum(d, "sli", sliNames())
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func collectStructs(t reflect.Type, out map[string]reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(nodeDecoderType) || out[t.Name()] != nil {
		return
	}
	out[t.Name()] = t
	for _, fi := range fieldsOf(t) {
		collectStructs(t.FieldByIndex(fi.index).Type, out)
	}
}

func setEnum(def *jsonschema.Schema, prop string, values []string) {
	p, ok := def.Properties.Get(prop)
	if !ok {
		return
	}
	p.Enum = nil
	for _, v := range values {
		p.Enum = append(p.Enum, v)
	}
}

// defaultValue renders a default tag as the JSON value a file would hold.
func defaultValue(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(s); err == nil {
		return b
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		var out []any
		for _, v := range strings.Split(strings.Trim(s, "[]"), ",") {
			out = append(out, strings.TrimSpace(v))
		}
		return out
	}
	return s
}

func routingConditions() []*jsonschema.Schema {
	var out []*jsonschema.Schema
	for _, d := range strategies.Routings() {
		out = append(out, paramCondition("routing", d.Name, d.Params))
	}
	return out
}

// paramCondition is "if key is name, params take exactly these
// parameters, each of its declared type".
func paramCondition(key, name string, ps sim.ParamSet) *jsonschema.Schema {
	props := jsonschema.NewProperties()
	for _, p := range ps {
		props.Set(p.Name, paramSchema(p))
	}
	ifProps := jsonschema.NewProperties()
	ifProps.Set(key, &jsonschema.Schema{Const: name})
	thenProps := jsonschema.NewProperties()
	thenProps.Set("params", &jsonschema.Schema{Type: "object", Properties: props, AdditionalProperties: jsonschema.FalseSchema})
	return &jsonschema.Schema{
		If:   &jsonschema.Schema{Properties: ifProps, Required: []string{key}},
		Then: &jsonschema.Schema{Properties: thenProps},
	}
}

// paramSchema is the schema of one declared parameter.
func paramSchema(p sim.Param) *jsonschema.Schema {
	desc := p.Description
	if p.Unit != "" {
		desc += " (" + p.Unit + ")"
	}
	s := &jsonschema.Schema{Description: desc}
	switch p.Kind {
	case sim.Int:
		s.Type = "integer"
	case sim.Float:
		s.Type = "number"
	case sim.Duration:
		s.AnyOf = durationSchema().AnyOf
	case sim.Ratio:
		s.AnyOf = ratioSchema().AnyOf
	case sim.Bool:
		s.Type = "boolean"
	case sim.Enum:
		for _, c := range p.Choices {
			s.Enum = append(s.Enum, c)
		}
	}
	if p.Kind == sim.Int || p.Kind == sim.Float {
		if p.Min != nil {
			s.Minimum = json.Number(strconv.FormatFloat(*p.Min, 'g', -1, 64))
		}
		if p.Max != nil {
			s.Maximum = json.Number(strconv.FormatFloat(*p.Max, 'g', -1, 64))
		}
	}
	switch v := p.Default.(type) {
	case sim.Time:
		s.Default = Duration(v).String()
	case nil:
	default:
		s.Default = v
	}
	return s
}

func durationSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "string", Pattern: durationPattern, Description: "a duration such as 250ms, 10s, 5m or 3d"},
		{Const: 0},
	}}
}

func ratioSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "number", Minimum: "0", Maximum: "1"},
		{Type: "string", Pattern: percentPattern, Description: "a percentage such as 5%"},
	}}
}

// scalarSchema maps the scenario types that parse their own YAML.
func scalarSchema(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[Duration]():
		return durationSchema()
	case reflect.TypeFor[Rate]():
		return &jsonschema.Schema{Type: "string", Pattern: ratePattern, Description: "a rate such as 90/s, 5400/min or 2/h"}
	case reflect.TypeFor[Ratio]():
		return ratioSchema()
	case reflect.TypeFor[QueueCap]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Const: "unbounded"}, {Type: "integer", Minimum: "0"}}}
	case reflect.TypeFor[EdgeUse]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "boolean"}, {Type: "string", Description: "the name of a declared edge (topology.edges)"}}}
	case reflect.TypeFor[Dist]():
		props := jsonschema.NewProperties()
		var names []any
		for _, n := range DistNames() {
			names = append(names, n)
		}
		props.Set("dist", &jsonschema.Schema{Enum: names})
		for _, f := range distFamilies {
			for _, p := range f.params {
				if _, ok := props.Get(p); ok {
					continue
				}
				switch {
				case p == "values" || p == "weights":
					props.Set(p, &jsonschema.Schema{Type: "array"})
				case contains(f.unitless, p):
					props.Set(p, &jsonschema.Schema{Type: "number"})
				default:
					props.Set(p, durationSchema())
				}
			}
		}
		return &jsonschema.Schema{
			Description: "a duration (constant) or a distribution such as {dist: exponential, mean: 1s}",
			AnyOf: []*jsonschema.Schema{
				durationSchema(),
				{Type: "object", Properties: props, Required: []string{"dist"}, AdditionalProperties: jsonschema.FalseSchema},
			},
		}
	case reflect.TypeFor[RawParams]():
		return &jsonschema.Schema{Type: "object", Description: "parameters of the chosen component (see tangle list)"}
	case reflect.TypeFor[Plug]():
		return nameOrObject("a strategy name, or {kind, params}", reflect.TypeFor[plugFields]())
	case reflect.TypeFor[ChannelDecl]():
		return nameOrObject("a channel name (none, push, poll, stream), or {kind, ...settings}", reflect.TypeFor[channelFields]())
	case reflect.TypeFor[Threshold]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "number"}, {Type: "string"}}}
	}
	return nil
}

// nameOrObject is the schema of a type written either as a name or as a
// mapping with t's fields (the decoder accepts both).
func nameOrObject(desc string, t reflect.Type) *jsonschema.Schema {
	props := jsonschema.NewProperties()
	var required []string
	for _, fi := range fieldsOf(t) {
		f := t.FieldByIndex(fi.index)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		p := scalarSchema(ft)
		if p == nil {
			switch ft.Kind() {
			case reflect.String:
				p = &jsonschema.Schema{Type: "string"}
			case reflect.Bool:
				p = &jsonschema.Schema{Type: "boolean"}
			case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
				p = &jsonschema.Schema{Type: "number"}
			default:
				p = &jsonschema.Schema{}
			}
		}
		p.Description = f.Tag.Get("doc")
		props.Set(fi.name, p)
		if fi.required {
			required = append(required, fi.name)
		}
	}
	return &jsonschema.Schema{Description: desc, AnyOf: []*jsonschema.Schema{
		{Type: "string"},
		{Type: "object", Properties: props, Required: required, AdditionalProperties: jsonschema.FalseSchema},
	}}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
