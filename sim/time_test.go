package sim

import "testing"

func TestPlusSaturates(t *testing.T) {
	for _, c := range []struct{ t, d, want Time }{
		{0, 5, 5},
		{10, Never - 10, Never},
		{10, Never - 11, Never - 1},
		{Never - 1, 1, Never},
		{Second, Never, Never},
		{Never, 0, Never},
	} {
		if got := c.t.Plus(c.d); got != c.want {
			t.Errorf("%d.Plus(%d) = %d, want %d", c.t, c.d, got, c.want)
		}
	}
}
