package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// Progress goes to stderr only, never to stdout (where --json goes), and
// only for work that lasts longer than a second:
//
//   - on a terminal, one line redrawn four times a second and erased at
//     the end;
//   - otherwise (CI logs, redirected stderr), a plain line every
//     plainEvery, so a long job shows it is alive without flooding the log;
//   - nothing with --quiet.
const (
	progressAfter = time.Second
	ttyEvery      = 250 * time.Millisecond
	plainEvery    = 10 * time.Second
)

// progressSnapshot is the state of the work at one moment.
type progressSnapshot struct {
	cellsDone, cells int64 // sweep cells; cells is 0 outside sweeps
	runsDone, runs   int64 // strategy × replication runs
	simT, totalT     int64 // simulated nanoseconds advanced and to advance
	events           int64
}

func snapshotOf(p *scenarios.Progress) progressSnapshot {
	return progressSnapshot{
		runsDone: p.Done.Load(), runs: p.Runs.Load(),
		simT: p.SimTime.Load(), totalT: p.TotalTime.Load(), events: p.Events.Load(),
	}
}

// showProgress reports the work's progress on stderr until the returned
// function is called.
func (a *app) showProgress(label string, snap func() progressSnapshot, quiet bool) func() {
	if quiet {
		return func() {}
	}
	every := plainEvery
	if a.stderrTTY {
		every = ttyEvery
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		tick := time.NewTicker(every)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-stop:
				if shown && a.stderrTTY {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
				return
			case <-tick.C:
			}
			el := time.Since(start)
			if el < progressAfter {
				continue
			}
			shown = true
			if a.stderrTTY {
				fmt.Fprintf(a.stderr, "\r\033[K%s", progressLine(label, snap(), el))
			} else {
				fmt.Fprintf(a.stderr, "%s\n", progressLine(label, snap(), el))
			}
		}
	}()
	return func() { close(stop); wg.Wait() }
}

// progressLine renders
// "name: cells 3/12 · runs 31/120 · simulated 2d of 5d (41%) · 4.10M events/s · ETA 12s".
func progressLine(label string, p progressSnapshot, elapsed time.Duration) string {
	frac := 0.0
	if p.totalT > 0 {
		frac = float64(p.simT) / float64(p.totalT)
	}
	eta := "?"
	if frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	var b strings.Builder
	b.WriteString(label)
	b.WriteString(":")
	if p.cells > 0 {
		fmt.Fprintf(&b, " cells %d/%d ·", p.cellsDone, p.cells)
	}
	fmt.Fprintf(&b, " runs %d/%d · simulated %v of %v (%.0f%%) · %.2fM events/s · ETA %s",
		p.runsDone, p.runs, sim.Time(p.simT).Duration().Round(time.Second), sim.Time(p.totalT).Duration().Round(time.Second),
		100*frac, float64(p.events)/elapsed.Seconds()/1e6, eta)
	return b.String()
}
