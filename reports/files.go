package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
)

// Manifest is what reproduces a run: the seed, the scenario's hash, the
// tool and Go versions, and the exact command.
type Manifest struct {
	SchemaVersion    int      `json:"schema_version"`
	Tool             Tool     `json:"tool"`
	Scenario         string   `json:"scenario"`
	ScenarioSource   string   `json:"scenario_source"`
	ScenarioSHA256   string   `json:"scenario_sha256"`
	Overrides        []string `json:"overrides"` // --set arguments, in order
	Seed             uint64   `json:"seed"`
	Replications     int      `json:"replications"`
	ReplicationSeeds []uint64 `json:"replication_seeds"`
	Rerun            string   `json:"rerun"`
}

// NewManifest extracts the manifest of a summary document.
func NewManifest(doc *Summary) *Manifest {
	return &Manifest{
		SchemaVersion: SchemaVersion, Tool: doc.Tool,
		Scenario: doc.Scenario.Name, ScenarioSource: doc.Scenario.Source, ScenarioSHA256: doc.Scenario.SHA256, Overrides: doc.Scenario.Overrides,
		Seed: doc.Seed, Replications: doc.Replications, ReplicationSeeds: doc.ReplicationSeeds, Rerun: doc.Rerun,
	}
}

// WriteSeriesCSV writes a run's time series: a header row ("time_s" then
// each column's name, in the series' fixed order, written even when there
// are no rows), then one row per bucket. Undefined values are empty cells.
func WriteSeriesCSV(w io.Writer, s *metrics.Series) error {
	cw := csv.NewWriter(w)
	header := []string{"time_s"}
	for _, c := range s.Columns {
		header = append(header, c.Name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	for k, t := range s.Time {
		row[0] = csvFloat(t)
		for c := range s.Columns {
			row[c+1] = csvFloat(s.Values[c][k])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// FileName turns a strategy or scenario name into a safe file name, one
// to one: letters, digits, '-', '_' and '.' are kept and every other byte
// is written %XX (its hex value), as is a leading '.', so distinct names
// ("a/b", "a b", "a_b") never share a file. The empty name is "%".
func FileName(name string) string {
	if name == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.' && i == 0:
			fmt.Fprintf(&b, "%%%02X", c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
