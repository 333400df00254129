package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// splitmix64 is the SplitMix64 finaliser (Steele, Lea, Flood 2014): a
// bijective mixer that turns correlated inputs (seed, seed+1, …) into
// independent-looking 64-bit values.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func hashName(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// NewStream returns a random stream for the component called name in a run
// with master seed seed: a math/rand/v2 PCG seeded from (seed, name). Streams
// of different names are independent, so adding draws in one component
// never shifts another's; the same (seed, name) always gives the same
// sequence, on every platform and Go release (math/rand/v2 pins PCG output).
func NewStream(seed uint64, name string) *rand.Rand {
	h := hashName(name)
	return rand.New(rand.NewPCG(splitmix64(seed^h), splitmix64(h+0x632be59bd9b4e019^seed)))
}

// SubSeed derives the i-th child seed of seed (for replications, sweep cells
// and the like): deterministic, and distinct children are independent.
func SubSeed(seed uint64, i uint64) uint64 {
	return splitmix64(splitmix64(seed) ^ splitmix64(i+0x5851f42d4c957f2d))
}
