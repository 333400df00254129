//go:build unix

package topology

import "syscall"

// cpuSeconds is the CPU time (user + system) this process has used: on a
// shared machine, hop-requests per CPU second vary less than per wall
// second. It reads the OS, never the simulation.
func cpuSeconds() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(u.Utime) + tv(u.Stime)
}
