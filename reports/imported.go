package reports

import (
	"fmt"
	"strings"

	"github.com/tangle-sim/tangle/scenarios"
)

// importedFrom says where a strategy's parameters came from when it
// imported them (from:): the file and what it held, and every imported
// value with its source field.
func importedFrom(sc *scenarios.Scenario, name string) (string, []string) {
	if sc == nil {
		return "", nil
	}
	for i := range sc.Strategies {
		s := &sc.Strategies[i]
		if s.Name != name || s.Imported() == nil {
			continue
		}
		b := s.Imported()
		return fmt.Sprintf("%s (%s)", s.From, strings.Join(b.Formats, ", ")), b.Sources()
	}
	return "", nil
}
