package sim

import (
	"slices"
	"strings"
)

// Registry is an immutable, name-sorted set of declarations of pluggable
// components (routing strategies, guards, fault kinds, metric
// definitions). Each family of declarations lives in its own file and the
// registry is assembled once, at package initialisation.
type Registry[T any] struct {
	items []T
	name  func(T) string
}

// NewRegistry sorts the declarations of every family by name. It panics on
// a duplicate name: declarations are code, so that is a programming error.
func NewRegistry[T any](name func(T) string, families ...[]T) Registry[T] {
	var all []T
	for _, f := range families {
		all = append(all, f...)
	}
	slices.SortFunc(all, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	for i := 1; i < len(all); i++ {
		if name(all[i]) == name(all[i-1]) {
			panic("sim: duplicate declaration " + name(all[i]))
		}
	}
	return Registry[T]{items: all, name: name}
}

// All returns every declaration, sorted by name.
func (r Registry[T]) All() []T { return slices.Clone(r.items) }

// Lookup returns the declaration called name. O(log n).
func (r Registry[T]) Lookup(name string) (T, bool) {
	i, ok := slices.BinarySearchFunc(r.items, name, func(d T, n string) int { return strings.Compare(r.name(d), n) })
	if !ok {
		var zero T
		return zero, false
	}
	return r.items[i], true
}

// Names lists the declarations' names, sorted.
func (r Registry[T]) Names() []string {
	n := make([]string, len(r.items))
	for i, d := range r.items {
		n[i] = r.name(d)
	}
	return n
}
