package sim

import (
	"math"
	"time"
)

// Time is virtual time in nanoseconds since the start of a run. It is also
// used for durations (the difference of two Times), like time.Duration.
type Time int64

// Units of virtual time.
const (
	Nanosecond  Time = 1
	Microsecond      = 1000 * Nanosecond
	Millisecond      = 1000 * Microsecond
	Second           = 1000 * Millisecond
	Minute           = 60 * Second
	Hour             = 60 * Minute

	// Never is a time later than any event; a timer set to Never does not fire.
	Never Time = math.MaxInt64
)

// Seconds converts a duration in seconds to Time, rounding to the nearest
// nanosecond. Values beyond the representable range saturate at ±Never;
// NaN converts to 0.
func Seconds(s float64) Time {
	ns := s * 1e9
	switch {
	case ns != ns:
		return 0
	case ns >= math.MaxInt64:
		return Never
	case ns <= math.MinInt64:
		return -Never
	}
	return Time(math.Round(ns))
}

// Plus is t + d saturated at Never: a delay too long to represent (the
// next arrival of a client at 1e-10 requests/s) is never, not a wrap to
// the past. d must not be negative.
func (t Time) Plus(d Time) Time {
	if d >= Never-t {
		return Never
	}
	return t + d
}

// Seconds returns t in seconds.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// Duration returns t as a time.Duration (both count nanoseconds).
func (t Time) Duration() time.Duration { return time.Duration(t) }

// String formats t like time.Duration ("1m30s", "250ms"); Never prints "never".
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	return time.Duration(t).String()
}
