package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Pending-event counts for the hold-model benchmarks.
var holdSizes = []int{1e3, 1e5, 1e6}

// expIncrements returns n precomputed Exp(mean 1 ms) increments, so the hold
// benchmarks time the queue rather than the random number generator (as the
// classic hold-model harness does).
func expIncrements(n int) []Time {
	r := rand.New(rand.NewPCG(42, 7))
	inc := make([]Time, n)
	for i := range inc {
		inc[i] = Seconds(r.ExpFloat64() * 1e-3)
	}
	return inc
}

// BenchmarkHold is the hold model through the engine: with n events
// pending, each operation pops the earliest event, runs its handler, and the
// handler schedules one event at now + Exp(1 ms). ns/op is the engine's cost
// per event.
func BenchmarkHold(b *testing.B) {
	for _, n := range holdSizes {
		b.Run(fmt.Sprintf("pending=%.0e", float64(n)), func(b *testing.B) {
			inc := expIncrements(1 << 16)
			e := NewEngine()
			left, i := 0, 0
			var k Kind
			k = e.Handle("hold", func(uint64) {
				i++
				e.After(inc[i&(len(inc)-1)], Default, k, 0)
				if left--; left == 0 {
					e.Stop()
				}
			})
			for j := 0; j < n; j++ {
				e.At(inc[j&(len(inc)-1)], Default, k, 0)
			}
			left = n // warm up: one full turnover of the queue
			e.Run(Never - 1)
			b.ReportAllocs()
			b.ResetTimer()
			left = b.N
			e.Run(Never - 1)
		})
	}
}

// BenchmarkLoop is the whole engine loop with handler dispatch and a
// random draw per event: pop, advance the clock, dispatch to one of four
// handlers, draw Exp(1 ms) from a PCG stream, schedule one event.
func BenchmarkLoop(b *testing.B) {
	for _, n := range holdSizes {
		b.Run(fmt.Sprintf("pending=%.0e", float64(n)), func(b *testing.B) {
			e := NewEngine()
			r := NewStream(1, "bench")
			left := 0
			var kinds [4]Kind
			for h := range kinds {
				kinds[h] = e.Handle(fmt.Sprint("h", h), func(arg uint64) {
					next := kinds[(arg+1)&3]
					e.After(Seconds(r.ExpFloat64()*1e-3), Class(arg&1)+Default, next, arg+1)
					if left--; left == 0 {
						e.Stop()
					}
				})
			}
			for j := 0; j < n; j++ {
				e.At(Seconds(r.ExpFloat64()*1e-3), Default, kinds[j&3], uint64(j))
			}
			left = n
			e.Run(Never - 1)
			b.ReportAllocs()
			b.ResetTimer()
			left = b.N
			e.Run(Never - 1)
		})
	}
}

// bareEvent and bareHeap are the yardstick: a minimal hand-written binary
// heap over 16-byte pointer-free events with no slots, classes or
// cancellation. The engine's goal is to stay within 1.5× of this loop.
type bareEvent struct {
	t   int64
	seq uint32
	id  uint32
}

type bareHeap []bareEvent

func (h bareHeap) less(i, j int) bool {
	return h[i].t < h[j].t || (h[i].t == h[j].t && h[i].seq < h[j].seq)
}

func (h *bareHeap) push(e bareEvent) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *bareHeap) pop() bareEvent {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s.less(c+1, c) {
			c++
		}
		if !s.less(c, i) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// BenchmarkBareHeap is the hold model on the yardstick heap (precomputed
// increments, like BenchmarkHold).
func BenchmarkBareHeap(b *testing.B) {
	for _, n := range holdSizes {
		b.Run(fmt.Sprintf("pending=%.0e", float64(n)), func(b *testing.B) {
			inc := expIncrements(1 << 16)
			h := make(bareHeap, 0, n+1)
			seq := uint32(0)
			for j := 0; j < n; j++ {
				h.push(bareEvent{t: int64(inc[j&(len(inc)-1)]), seq: seq})
				seq++
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := h.pop()
				h.push(bareEvent{t: e.t + int64(inc[i&(len(inc)-1)]), seq: seq, id: e.id})
				seq++
			}
		})
	}
}

// BenchmarkBareLoop is the yardstick's full loop: pop, advance the clock,
// dispatch through a handler table, one PCG draw, schedule one event.
func BenchmarkBareLoop(b *testing.B) {
	for _, n := range holdSizes {
		b.Run(fmt.Sprintf("pending=%.0e", float64(n)), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			h := make(bareHeap, 0, n+1)
			seq := uint32(0)
			var now int64
			var hs [4]func(e bareEvent)
			for k := range hs {
				hs[k] = func(e bareEvent) {
					h.push(bareEvent{t: now + int64(r.ExpFloat64()*1e6), seq: seq, id: (e.id + 1) & 3})
					seq++
				}
			}
			for j := 0; j < n; j++ {
				h.push(bareEvent{t: int64(r.ExpFloat64() * 1e6), seq: seq, id: uint32(j & 3)})
				seq++
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := h.pop()
				now = e.t
				hs[e.id](e)
			}
		})
	}
}

// BenchmarkDist times one draw from each distribution (all must be 0 allocs).
func BenchmarkDist(b *testing.B) {
	emp, _ := NewEmpirical([]float64{0.1, 0.2, 0.5, 1, 2}, []float64{5, 4, 3, 2, 1})
	for _, d := range []Dist{
		Constant{1}, Exponential{1}, Uniform{0, 2}, Normal{1, 0.2}, LogNormal{0, 0.5},
		Pareto{1, 2.5}, Weibull{1.5, 1}, emp,
	} {
		b.Run(d.String(), func(b *testing.B) {
			r := NewStream(1, "dist")
			b.ReportAllocs()
			s := 0.0
			for i := 0; i < b.N; i++ {
				s += d.Sample(r)
			}
			_ = s
		})
	}
}

// BenchmarkMemoryLatency is the machine's yardstick for the fleet-size
// benchmarks (strategies.BenchmarkScale): a chase of dependent loads, one
// per 64-byte line, through a random cycle over a working set of the given
// size. ns/op is the latency of one load that misses every cache smaller
// than the set: where it steps up (L2, then the last-level cache) is where
// a simulation's per-request cost steps up once its live state — replicas,
// requests in flight, callers — outgrows that cache.
func BenchmarkMemoryLatency(b *testing.B) {
	for _, kib := range []int{32, 256, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("set=%dKiB", kib), func(b *testing.B) {
			const stride = 8 // int64s per 64-byte line
			lines := kib << 10 / 64
			order := rand.New(rand.NewPCG(1, 2)).Perm(lines)
			next := make([]int64, lines*stride)
			for i, l := range order {
				next[l*stride] = int64(order[(i+1)%lines] * stride)
			}
			p := int64(0)
			for range lines { // warm up: one lap
				p = next[p]
			}
			b.ResetTimer()
			for range b.N {
				p = next[p]
			}
			if p < 0 {
				b.Fatal("unreachable: keeps the chase live")
			}
		})
	}
}
