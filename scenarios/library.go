package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

//go:embed library/*.yaml
var library embed.FS

// DefaultBuiltin is the scenario `tangle run` runs without arguments.
const DefaultBuiltin = "stale-herd"

// BuiltinInfo describes one scenario of the built-in library.
type BuiltinInfo struct {
	Name        string
	Description string
}

// Builtins lists the built-in library, sorted by name.
func Builtins() []BuiltinInfo {
	entries, _ := fs.ReadDir(library, "library")
	var out []BuiltinInfo
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		sc, err := Builtin(name)
		desc := ""
		if err == nil {
			desc = sc.Description
		}
		out = append(out, BuiltinInfo{Name: name, Description: desc})
	}
	return out
}

func builtinNames() []string {
	var n []string
	for _, b := range Builtins() {
		n = append(n, b.Name)
	}
	return n
}

// BuiltinSource returns the YAML text of a built-in scenario.
func BuiltinSource(name string) ([]byte, error) {
	src, err := library.ReadFile(path.Join("library", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q", name)
	}
	return src, nil
}

// Builtin loads a built-in scenario by name.
func Builtin(name string, sets ...Override) (*Scenario, error) {
	src, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("builtin:"+name, src, sets...)
}

// Open loads a scenario from a file path, or from the built-in library
// when no such file exists and arg names a built-in scenario.
func Open(arg string, sets ...Override) (*Scenario, error) {
	if _, err := os.Stat(arg); err == nil {
		return Load(arg, sets...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if slices.Contains(builtinNames(), arg) {
		return Builtin(arg, sets...)
	}
	hint := didYouMean(strings.TrimSuffix(path.Base(arg), ".yaml"), builtinNames())
	msg := fmt.Sprintf("%s: no such file, and no built-in scenario of that name (built-ins: %s)", arg, strings.Join(builtinNames(), ", "))
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return nil, errors.New(msg)
}
