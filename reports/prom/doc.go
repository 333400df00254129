// Package prom writes a simulated run as the Prometheus metrics a real
// deployment would have scraped, so users can run their own alert rules
// and dashboards against a simulated incident.
//
// A Collector observes one run as an Istio sidecar and kube-state-metrics
// would: it counts every request end into istio_requests_total and the
// istio_request_duration_milliseconds histogram (by client, destination
// service, response code and Envoy response flags), tracks available
// replicas per service, and takes a sample of every series at each scrape
// time of simulated time. It schedules no events, so attaching it changes
// nothing else in the run:
//
//	c := prom.Attach(world, prom.Config{Scrape: 15 * sim.Second}, horizon)
//	… run and drain the world …
//	run := c.Finish(faultWindows)
//	prom.WriteOpenMetrics(f, run)     // promtool tsdb create-blocks-from openmetrics
//	prom.WriteRulesTest(g, run, nil)  // promtool test rules input_series
//
// The formats are written with the Prometheus project's own libraries:
// github.com/prometheus/client_model types and the expfmt encoders of
// github.com/prometheus/common.
package prom
