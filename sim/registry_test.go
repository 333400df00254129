package sim

import (
	"slices"
	"testing"
)

func TestRegistrySortsAndLooksUp(t *testing.T) {
	id := func(s string) string { return s }
	r := NewRegistry(id, []string{"maglev", "random"}, []string{"least-request"})
	if !slices.Equal(r.Names(), []string{"least-request", "maglev", "random"}) {
		t.Fatalf("names %v", r.Names())
	}
	if v, ok := r.Lookup("maglev"); !ok || v != "maglev" {
		t.Fatal("lookup of a present name failed")
	}
	if _, ok := r.Lookup("ring-hash"); ok {
		t.Fatal("lookup of an absent name succeeded")
	}
	all := r.All()
	all[0] = "changed"
	if r.Names()[0] != "least-request" {
		t.Fatal("All exposed the registry's storage")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate name did not panic")
		}
	}()
	NewRegistry(id, []string{"a"}, []string{"a"})
}
