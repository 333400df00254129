package scenarios

import "strings"

// starter is the scenario `tangle new` writes: every section, commented,
// small enough to run in a few seconds. A test checks that it validates
// and runs.
const starter = `# NAME: a starter scenario written by ` + "`tangle new`" + `.
# Every key is documented in docs/scenario-format.md, and ` + "`tangle explain KEY`" + `
# explains one (tangle explain topology.telemetry.delay). Check it with
# ` + "`tangle validate FILE`" + ` and run it with ` + "`tangle run FILE`" + `.
name: NAME
description: Two routing strategies on one service, through a replica crash.
seed: 1                   # every random stream derives from it: same seed, same bytes
duration: 10m             # simulated time (Go durations, plus d for days)
warmup: 1m                # excluded from the metrics
replications: 5           # runs with derived seeds; metrics report mean ± 95% CI

topology:
  regions:
    - {name: east, zones: [a, b]}
  network:
    same_zone: 200us
    same_region: {dist: uniform, min: 500us, max: 1ms}
  services:
    - name: api
      replicas: 6
      concurrency: 4                   # requests served at once per replica
      queue: 100                       # waiting requests per replica, then rejected
      service_time: {dist: lognormal, median: 20ms, sigma: 0.5}
      error_rate: 0.1%
      zones: [east/a, east/b]          # replicas spread round robin
  clients:
    - name: users
      target: api
      rate: 500/s
      timeout: 1s
      callers: 10                      # sidecars, each deciding alone
      schedule:
        - {at: 6m, rate: 900/s, duration: 30s}   # a spike
  telemetry: {interval: 1s, delay: 0s} # the signal bus deciders read load from

# Compared side by side: replication r uses the same seed for every strategy.
# tangle list strategies shows every routing and its parameters.
strategies:
  - {name: rr, routing: round-robin}
  - {name: random, routing: random}

# The same for every strategy. tangle list faults shows every kind.
faults:
  - {kind: crash, at: 4m, duration: 1m, target: {service: api, mode: count, value: 2}}

# Error budgets and SRE Workbook burn-rate alerts; a page fails the run.
slos:
  - {name: availability, sli: route_success_rate, objective: 99%}

# Any failed check makes tangle run exit with code 1 (gate CI on it).
checks:
  - {metric: latency_p99, max: 500ms}
  - {metric: route_success_rate, min: 99%, phase: after}   # recovered after the crash
`

// Starter returns a commented scenario named name that validates and runs.
func Starter(name string) []byte { return []byte(strings.ReplaceAll(starter, "NAME", name)) }
