package reports

// SweepDoc is the result of a parameter sweep: one cell per combination of
// parameter values, each run over the same seeds, ranked by an objective
// under constraints. `tangle sweep` writes it; the HTML report renders a
// heatmap over two parameters and a sortable ranking table from it.
type SweepDoc struct {
	SchemaVersion int          `json:"schema_version"`
	Kind          string       `json:"kind"` // "sweep"
	Tool          Tool         `json:"tool"`
	Scenario      ScenarioInfo `json:"scenario"`
	Seed          uint64       `json:"seed"`
	Replications  int          `json:"replications"`
	Params        []string     `json:"params"`      // swept parameter paths, in --param order
	Objective     string       `json:"objective"`   // e.g. "minimize error_budget_burn_rate"
	Constraints   []string     `json:"constraints"` // e.g. "routing_churn <= 0.1"
	Cells         []SweepCell  `json:"cells"`       // in grid order
	Rerun         string       `json:"rerun"`
	// Zip is true when parameter values were zipped rather than combined.
	Zip bool `json:"zip"`
	// TotalCells is the number of cells of the whole sweep; Shard is
	// "i/n" in a shard's document (which holds only its cells) and absent
	// from a whole or merged sweep.
	TotalCells int    `json:"total_cells"`
	Shard      string `json:"shard,omitempty"`
}

// SweepCell is one combination of parameter values and its metrics.
type SweepCell struct {
	Index    int                   `json:"index"`
	Values   map[string]string     `json:"values"` // parameter path → value as written
	Strategy string                `json:"strategy"`
	Metrics  map[string]MetricStat `json:"metrics"`
	Feasible bool                  `json:"feasible"` // every constraint held
	Rank     int                   `json:"rank"`     // 1 = best feasible; 0 = infeasible
	Rerun    string                `json:"rerun"`    // command that reruns just this cell
	Seeds    []uint64              `json:"replication_seeds"`
	Verdict  string                `json:"verdict"` // the scenario's checks on this cell: pass, fail or none
	// ConfigSHA256 hashes what determines the cell's result (scenario
	// bytes, overrides, strategy, seed, replications): a resumed or merged
	// sweep checks every cell against its plan by it.
	ConfigSHA256 string `json:"config_sha256,omitempty"`
}
