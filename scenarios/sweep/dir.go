package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

// A sweep's directory:
//
//	DIR/plan.json                 the plan (see Plan)
//	DIR/cells/cell-NNNNNN.json    one reports.SweepCell per completed cell
//	DIR/sweep.json                the ranked document, once the sweep ends

func cellPath(dir string, i int) string {
	return filepath.Join(dir, "cells", fmt.Sprintf("cell-%06d.json", i))
}

// writeJSON writes v as indented JSON, whole (reports.WriteFileAtomic).
func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, v); err != nil {
		return err
	}
	return reports.WriteFileAtomic(path, buf.Bytes())
}

// Resume prepares dir for the plan and locks it: it saves the plan in a
// new directory, or checks an existing one holds the same sweep, and
// returns the cells it already holds, each checked against the plan by its
// configuration hash. unlock releases the directory.
func Resume(dir string, pl *Plan) (done map[int]reports.SweepCell, unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	release, err := reports.LockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	done = map[int]reports.SweepCell{}
	prev, err := ReadPlan(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if cells, _ := filepath.Glob(filepath.Join(dir, "cells", "cell-*.json")); len(cells) > 0 {
			return nil, nil, errorf("%s holds sweep cells but no plan.json; use another --out directory, or delete it to start again", dir)
		}
	case err != nil:
		return nil, nil, err
	default:
		if why := planDiff(prev, pl); why != "" {
			return nil, nil, errorf("%s holds a different sweep (%s); use another --out directory, or delete it to start again", dir, why)
		}
		cells, err := ReadCells(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cells {
			if err := pl.checkCell(dir, c); err != nil {
				return nil, nil, err
			}
			if pl.Shard.Has(c.Index) {
				done[c.Index] = c
			}
		}
	}
	if err := writeJSON(filepath.Join(dir, "plan.json"), pl); err != nil {
		return nil, nil, err
	}
	return done, release, nil
}

// checkCell refuses a stored cell that is not the plan's: an index out of
// range, or a configuration hash that differs.
func (p *Plan) checkCell(dir string, c reports.SweepCell) error {
	if c.Index < 0 || c.Index >= p.Cells {
		return errorf("%s: cell %d is outside this sweep's %d cells; delete the directory to start again", dir, c.Index, p.Cells)
	}
	if want := p.CellHash(c.Index); c.ConfigSHA256 != want {
		return errorf("%s: cell %d was computed for another configuration than this sweep's (config_sha256 %q, want %q); delete the directory, or use another --out", dir, c.Index, short(c.ConfigSHA256), short(want))
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// planDiff names the first difference between two plans' identities, or
// returns "" when they run the same cells the same way.
func planDiff(a, b *Plan) string {
	switch {
	case a.Scenario.SHA256 != b.Scenario.SHA256:
		return "the scenario file changed"
	case !slices.Equal(a.Scenario.Overrides, b.Scenario.Overrides):
		return "different --set values"
	case !slices.EqualFunc(a.Params, b.Params, func(x, y scenarios.SweepParam) bool {
		return x.Path == y.Path && slices.Equal(x.Values, y.Values)
	}) || a.Zip != b.Zip:
		return "different --param values"
	case !slices.Equal(a.Strategies, b.Strategies):
		return "different strategies"
	case a.Seed != b.Seed:
		return "a different seed"
	case a.Replications != b.Replications:
		return "different replications"
	case a.Shard != b.Shard:
		return "a different shard"
	case !bytes.Equal(a.identity(), b.identity()):
		return "a different plan"
	}
	return ""
}

// isControl reports the control characters tangle never writes into a
// sweep's JSON (its writer escapes them; newlines separate its lines), so
// names read back can be printed to a terminal safely.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t' && r != '\r') || (r >= 0x7f && r <= 0x9f)
}

// ReadPlan reads dir/plan.json.
func ReadPlan(dir string) (*Plan, error) {
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		return nil, err
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil || p.Kind != "sweep-plan" {
		return nil, errorf("%s: not a tangle sweep directory (plan.json unreadable)", dir)
	}
	if p.SchemaVersion != reports.SchemaVersion {
		return nil, errorf("%s: sweep schema version %d; this tangle reads %d", dir, p.SchemaVersion, reports.SchemaVersion)
	}
	if p.Cells < 0 || len(p.Strategies) == 0 || p.Shard.Count < 1 || p.Shard.Index < 0 || p.Shard.Index >= p.Shard.Count {
		return nil, errorf("%s: plan.json is inconsistent (cells, strategies or shard)", dir)
	}
	if g, err := scenarios.SweepGrid(p.Params, p.Zip); err != nil || len(g)*len(p.Strategies) != p.Cells {
		return nil, errorf("%s: plan.json is inconsistent (its parameters do not make %d cells)", dir, p.Cells)
	}
	if bytes.ContainsFunc(b, isControl) {
		return nil, errorf("%s: plan.json holds control characters; tangle did not write it", dir)
	}
	return &p, nil
}

// ReadCells reads every stored cell of dir, in index order.
func ReadCells(dir string) ([]reports.SweepCell, error) {
	names, err := filepath.Glob(filepath.Join(dir, "cells", "cell-*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []reports.SweepCell
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		if bytes.ContainsFunc(b, isControl) {
			return nil, errorf("%s holds control characters; tangle did not write it", n)
		}
		var c reports.SweepCell
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, errorf("%s: unreadable cell: %v", n, err)
		}
		if want := cellPath(dir, c.Index); filepath.Base(want) != filepath.Base(n) {
			return nil, errorf("%s holds cell %d; cells are never trusted by their file names", n, c.Index)
		}
		out = append(out, c)
	}
	return out, nil
}

// Merge reads the shards' directories, checks they are shards of one
// sweep that together hold every cell exactly once, each cell matching
// the plan, and returns the plan (as one whole sweep) and the cells in
// grid order.
func Merge(dirs []string) (*Plan, []reports.SweepCell, error) {
	if len(dirs) == 0 {
		return nil, nil, errorf("name the output directories of the shards")
	}
	var first *Plan
	cells := map[int]reports.SweepCell{}
	from := map[int]string{}
	seen := map[int]string{}
	for _, dir := range dirs {
		p, err := ReadPlan(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, errorf("%s has no plan.json: is it the --out directory of a sweep shard?", dir)
			}
			return nil, nil, err
		}
		if first == nil {
			first = p
		} else {
			q := *p
			q.Shard = first.Shard
			if why := planDiff(first, &q); why != "" {
				return nil, nil, errorf("%s and %s are not shards of one sweep (%s)", dirs[0], dir, why)
			}
			if p.Objective != first.Objective || !slices.Equal(p.Constraints, first.Constraints) {
				return nil, nil, errorf("%s and %s rank differently (objective or constraints)", dirs[0], dir)
			}
			if p.Shard.Count != first.Shard.Count {
				return nil, nil, errorf("%s is shard %d/%d but %s is of %d shards", dir, p.Shard.Index, p.Shard.Count, dirs[0], first.Shard.Count)
			}
		}
		if other, dup := seen[p.Shard.Index]; dup {
			return nil, nil, errorf("%s and %s are both shard %d/%d", other, dir, p.Shard.Index, p.Shard.Count)
		}
		seen[p.Shard.Index] = dir
		cs, err := ReadCells(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			if err := p.checkCell(dir, c); err != nil {
				return nil, nil, err
			}
			if other, dup := from[c.Index]; dup {
				return nil, nil, errorf("cell %d is in both %s and %s", c.Index, other, dir)
			}
			cells[c.Index], from[c.Index] = c, dir
		}
	}
	var missing []string
	var out []reports.SweepCell
	for i := 0; i < first.Cells; i++ {
		c, ok := cells[i]
		if !ok {
			missing = append(missing, strconv.Itoa(i))
			continue
		}
		out = append(out, c)
	}
	if len(missing) > 0 {
		shards := ""
		if len(seen) < first.Shard.Count {
			shards = fmt.Sprintf(" (%d of %d shards given)", len(seen), first.Shard.Count)
		}
		if len(missing) > 10 {
			missing = append(missing[:10], "…")
		}
		return nil, nil, errorf("%d of %d cells are missing%s: %s; finish the shards (rerun them with the same --out) and merge again", first.Cells-len(out), first.Cells, shards, strings.Join(missing, ", "))
	}
	first.Shard = Shard{Index: 0, Count: 1}
	return first, out, nil
}

// WriteDir writes the directory an unsharded sweep would have written:
// the plan, every cell, and the document as sweep.json. It replaces dir
// as a whole (reports.ReplaceDir), so no cell of an earlier sweep stays
// beside them; an existing dir must be empty or a sweep's.
func WriteDir(dir string, pl *Plan, cells []reports.SweepCell, doc *reports.SweepDoc) error {
	isSweep := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "plan.json"))
		return err == nil
	}
	return reports.ReplaceDir(dir, isSweep, func(tmp string) error {
		if err := writeJSON(filepath.Join(tmp, "plan.json"), pl); err != nil {
			return err
		}
		for _, c := range cells {
			if err := writeJSON(cellPath(tmp, c.Index), c); err != nil {
				return err
			}
		}
		return WriteDoc(tmp, doc)
	})
}

// WriteDoc writes the sweep document as dir/sweep.json.
func WriteDoc(dir string, doc *reports.SweepDoc) error {
	return writeJSON(filepath.Join(dir, "sweep.json"), doc)
}
