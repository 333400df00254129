package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseNumber reads a finite decimal number. Infinities and NaN are
// refused everywhere a scenario or flag takes a number: no quantity of a
// simulation is meaningfully infinite, and NaN compares false with every
// bound, so it would slip through validation.
func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of range: numbers must be finite, at most about 1.8e308", s)
		}
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number", strings.TrimSpace(s))
	}
	return f, nil
}
