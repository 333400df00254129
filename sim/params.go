package sim

import (
	"fmt"
	"slices"
	"strings"
)

// ParamKind is the type of a parameter's value.
type ParamKind uint8

const (
	Int      ParamKind = iota // int64
	Float                     // float64
	Duration                  // Time (written "250ms", "10s")
	Ratio                     // float64 in [0, 1] (written 0.2 or "20%")
	Bool                      // bool
	Enum                      // string, one of Param.Choices
	String                    // string, checked by Param.Valid
)

func (k ParamKind) String() string {
	return [...]string{"int", "float", "duration", "ratio", "bool", "enum", "string"}[k]
}

// Param declares one parameter of a pluggable component (a strategy, a
// fault): its name as written in scenario files, its type and unit, its
// default (the real system's documented default, cited in Source), and
// bounds. Declarations drive scenario parsing, validation, `tangle list`
// and the docs, so a component states each parameter once.
type Param struct {
	Name        string
	Kind        ParamKind
	Unit        string
	Default     any // int64, float64, Time, bool or string, matching Kind
	Min, Max    *float64
	Choices     []string           // for Enum
	Valid       func(string) error // for String: nil accepts anything
	Description string
	Source      string
}

// DefaultString renders the default as a scenario file would write it.
func (p Param) DefaultString() string { return FormatValue(p.Default) }

// FormatValue renders a parameter value as a scenario file would write it.
func FormatValue(v any) string {
	switch x := v.(type) {
	case Time:
		return x.String()
	case float64:
		return fmt.Sprintf("%g", x)
	case nil:
		return "none"
	case string:
		if x == "" {
			return `""`
		}
	}
	return fmt.Sprint(v)
}

// Params are parameter values by name, each of its declared Kind's Go type.
type Params map[string]any

// Int returns the named int parameter.
func (p Params) Int(name string) int64 { return p[name].(int64) }

// Float returns the named float or ratio parameter.
func (p Params) Float(name string) float64 { return p[name].(float64) }

// Duration returns the named duration parameter.
func (p Params) Duration(name string) Time { return p[name].(Time) }

// Bool returns the named bool parameter.
func (p Params) Bool(name string) bool { return p[name].(bool) }

// String returns the named enum or text parameter.
func (p Params) String(name string) string { return p[name].(string) }

// ParamError is a bad parameter value; scenarios report it at the value's
// position in the file.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// Check validates v against the declaration: the Go type and the bounds.
func (p Param) Check(v any) error {
	bad := func(format string, args ...any) error {
		return &ParamError{Param: p.Name, Msg: fmt.Sprintf(format, args...)}
	}
	var x float64
	switch p.Kind {
	case Int:
		n, ok := v.(int64)
		if !ok {
			return bad("expected an integer")
		}
		x = float64(n)
	case Float, Ratio:
		f, ok := v.(float64)
		if !ok {
			return bad("expected a number")
		}
		if p.Kind == Ratio && !(f >= 0 && f <= 1) {
			return bad("expected a ratio in [0, 1] (or a percentage), got %g", f)
		}
		x = f
	case Duration:
		d, ok := v.(Time)
		if !ok {
			return bad("expected a duration such as 250ms or 10s")
		}
		x = d.Seconds()
	case Bool:
		if _, ok := v.(bool); !ok {
			return bad("expected true or false")
		}
		return nil
	case Enum:
		s, ok := v.(string)
		if !ok || !slices.Contains(p.Choices, s) {
			return bad("expected one of %s", strings.Join(p.Choices, ", "))
		}
		return nil
	case String:
		s, ok := v.(string)
		if !ok {
			return bad("expected a string")
		}
		if p.Valid != nil {
			if err := p.Valid(s); err != nil {
				return bad("%v", err)
			}
		}
		return nil
	}
	if p.Min != nil && x < *p.Min {
		return bad("must be at least %s, got %s", FormatValue(scale(p, *p.Min)), FormatValue(v))
	}
	if p.Max != nil && x > *p.Max {
		return bad("must be at most %s, got %s", FormatValue(scale(p, *p.Max)), FormatValue(v))
	}
	return nil
}

// scale turns a bound (stored in seconds for durations) into a value of
// the parameter's type for messages.
func scale(p Param, b float64) any {
	switch p.Kind {
	case Duration:
		return Seconds(b)
	case Int:
		return int64(b)
	}
	return b
}

// Bound is a helper for Param.Min/Max literals: Min: sim.Bound(2).
func Bound(x float64) *float64 { return &x }

// ParamSet is a component's parameter declarations, in display order.
type ParamSet []Param

// Defaults returns every parameter at its default.
func (s ParamSet) Defaults() Params {
	p := Params{}
	for _, pd := range s {
		p[pd.Name] = pd.Default
	}
	return p
}

// Lookup returns the declaration of the named parameter.
func (s ParamSet) Lookup(name string) (Param, bool) {
	i := slices.IndexFunc(s, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return s[i], true
}

// Names lists the parameter names, in declaration order.
func (s ParamSet) Names() []string {
	var n []string
	for _, p := range s {
		n = append(n, p.Name)
	}
	return n
}

// Complete fills defaults into p and checks every value; it returns a
// *ParamError for an unknown name or a bad value. p is not modified.
func (s ParamSet) Complete(p Params) (Params, error) {
	out := s.Defaults()
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		pd, ok := s.Lookup(k)
		if !ok {
			takes := "no parameters"
			if len(s) > 0 {
				takes = "parameters " + strings.Join(s.Names(), ", ")
			}
			return nil, &ParamError{Param: k, Msg: fmt.Sprintf("unknown parameter %q; it takes %s", k, takes)}
		}
		if err := pd.Check(p[k]); err != nil {
			return nil, err
		}
		out[k] = p[k]
	}
	return out, nil
}
