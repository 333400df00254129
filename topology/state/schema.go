package state

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/topology"
)

// Schema migrations, expand/contract (Sato, "ParallelChange",
// martinfowler.com/bliki/ParallelChange.html; pgroll's start/complete):
// a datastore's schema is a key of kind Schema held by its data replicas
// (the DDL each has applied: 1 the original, then expand, then contract),
// changed through the desired store like any key; the code of each
// service version speaks one schema (VersionSpec.Schema). Rows remember
// the schema their writer spoke. A compatibility matrix says what happens
// when they meet:
//
//   - a write by code c to a replica at schema d: ok, fail (the database
//     rejects it: an unknown column) or corrupt (accepted but malformed:
//     a dropped column an ORM silently leaves out);
//   - a read by code c from a replica at schema d, or of a row written by
//     code speaking w: ok or fail.
//
// Unlisted combinations are ok. A corrupt row read by anyone is a corrupt
// read. A migration coordinator (strategies: migration) steps the schema
// only as far as every running reader and writer tolerates.

// CompatOutcome is what a combination of versions does, worst last.
type CompatOutcome uint8

const (
	CompatOK      CompatOutcome = iota // works
	CompatCorrupt                      // a write is stored malformed
	CompatFail                         // the operation fails
)

var compatNames = [...]string{"ok", "corrupt", "fail"}

func (o CompatOutcome) String() string {
	if int(o) < len(compatNames) {
		return compatNames[o]
	}
	return "outcome(?)"
}

// ParseCompatOutcome maps an outcome's name to the CompatOutcome.
func ParseCompatOutcome(s string) (CompatOutcome, error) {
	if i := slices.Index(compatNames[:], s); i >= 0 {
		return CompatOutcome(i), nil
	}
	return 0, fmt.Errorf("unknown outcome %q (want ok, corrupt or fail)", s)
}

// CompatRule is one entry of the compatibility matrix.
type CompatRule struct {
	Write   bool    // a write rule; otherwise a read rule
	Code    Version // the schema the reading or writing code speaks
	DB      Version // the replica's schema (0: the rule is about rows)
	Row     Version // reads: the schema the row's writer spoke (0: the rule is about the replica's schema)
	Outcome CompatOutcome
}

func (r CompatRule) validate() error {
	switch {
	case r.Code < 1:
		return fmt.Errorf("compat: code schema must be at least 1")
	case (r.DB == 0) == (r.Row == 0):
		return fmt.Errorf("compat: a rule names either a database schema or a row schema")
	case r.Write && r.Row != 0:
		return fmt.Errorf("compat: write rules name a database schema, not rows")
	case !r.Write && r.Outcome == CompatCorrupt:
		return fmt.Errorf("compat: reads fail or work; only writes corrupt")
	}
	return nil
}

// Schemas is what the state model needs of a data layer's schemas (see
// SetSchemas): the compatibility matrix, the schema key its replicas hold
// and the nodes whose code uses it.
type Schemas interface {
	Rules() []CompatRule
	Key() *Key // nil: no schema key
	Users() []*Node
}

// SetSchemas gives the state model the data layer's schemas, for the
// compatibility checks and the migration coordinator's view.
func (s *State) SetSchemas(x Schemas) { s.schemas = x }

// schemaKey is the data replicas' schema key, or nil.
func (s *State) schemaKey() *Key {
	if s.schemas == nil {
		return nil
	}
	return s.schemas.Key()
}

// Validate checks the rule.
func (r CompatRule) Validate() error { return r.validate() }

// compat is the outcome of the rule matching (write, code, db, row).
func (s *State) compat(write bool, code, db, row Version) CompatOutcome {
	if s.schemas == nil || code == 0 {
		return CompatOK
	}
	for _, r := range s.schemas.Rules() {
		if r.Write == write && r.Code == code && r.DB == db && r.Row == row {
			return r.Outcome
		}
	}
	return CompatOK
}

// WriteCompat is what a write by code speaking code does to a replica at
// schema db.
func (s *State) WriteCompat(code, db Version) CompatOutcome { return s.compat(true, code, db, 0) }

// ReadCompat is what a read by code speaking code does at a replica at
// schema db of a row its writer wrote speaking row (0: an operator's).
func (s *State) ReadCompat(code, db, row Version) CompatOutcome {
	o := s.compat(false, code, db, 0)
	if row != 0 {
		o = max(o, s.compat(false, code, 0, row))
	}
	return o
}

// CodeSchema is the schema the code on node n speaks: its software
// version's Schema (1 when unset).
func (s *State) CodeSchema(n *Node) Version {
	if n.Replica == nil {
		return 1
	}
	return s.services[n.Replica.Service.ID].schemaOf(n.Software())
}

func (ss *svcState) schemaOf(v Version) Version {
	for _, vs := range ss.versions {
		if vs.Version == v && vs.Schema > 0 {
			return vs.Schema
		}
	}
	return 1
}

// DBSchema is the schema data replica n has applied: its schema key's
// value (1 without one).
func (s *State) DBSchema(n *Node) Version {
	if k := s.schemaKey(); k != nil {
		if v := n.values[k.ID].Version; v > 0 {
			return v
		}
	}
	return 1
}

// Pin makes node n's key k keep its value until the returned function is
// called: channel deliveries and controllers' writes to it are lost (a
// shard the migration job skipped, a replica restored from an old
// backup; nests). With v > 0 the value is first set to version v.
func (s *State) Pin(n *Node, k *Key, v Version) (restore func()) {
	if !s.holds(n, k) {
		return func() {}
	}
	if v > 0 {
		s.setValue(n, k, Value{Version: v})
		if n.links[k.ID] == nil {
			s.store.object(n, k).version = v
		}
	}
	n.pin[k.ID]++
	return topology.Once(func() { n.pin[k.ID]-- })
}

// SchemaView is the optional ability of a ReconcileView that a migration
// coordinator needs.
type SchemaView interface {
	// Schema reports item i's schema key as the controller sees it: the
	// version observed on the item and the desired one (ok false: the
	// item holds no schema key).
	Schema(i int) (observed, desired Version, ok bool)
	// Speakers appends the schemas that the code of the replicas
	// using the datastore speaks, as the control plane observes their
	// software versions, sorted and without repeats.
	Speakers(out []Version) []Version
	// Compat is the matrix: what a write and a read by code speaking
	// code do at a replica at schema db.
	Compat(code, db Version) (write, read CompatOutcome)
}

func (v memberView) Schema(i int) (Version, Version, bool) {
	s := v.s
	k := s.schemaKey()
	if k == nil {
		return 0, 0, false
	}
	n := s.items[i]
	if !s.holds(n, k) {
		return 0, 0, false
	}
	return s.Observed(n, k).Version, v.m.cache[k.ID], true
}

func (v memberView) Speakers(out []Version) []Version {
	s := v.s
	if s.schemas == nil {
		return out
	}
	for _, n := range s.schemas.Users() {
		sw := s.services[n.Replica.Service.ID].software
		if sw == nil {
			continue
		}
		c := s.services[n.Replica.Service.ID].schemaOf(s.Observed(n, sw).Version)
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (v memberView) Compat(code, db Version) (CompatOutcome, CompatOutcome) {
	return v.s.WriteCompat(code, db), v.s.compat(false, code, db, 0)
}
