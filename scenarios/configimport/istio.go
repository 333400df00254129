package configimport

import (
	"encoding/json"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	networking "istio.io/api/networking/v1alpha3"
)

// istioCluster is where Istio turns a DestinationRule into an Envoy
// cluster: pilot/pkg/networking/core/cluster_traffic_policy.go.
const istioCluster = "istio pilot cluster_traffic_policy.go"

// goDuration is a duration as Istio's docs and CRD validation accept it
// (5m, 1h30m, 500ms); protojson reads only seconds (300s).
var goDuration = regexp.MustCompile(`^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$`)

// istioJSON is the spec as JSON with durations in protojson's form.
func istioJSON(d doc, spec *yaml.Node) ([]byte, error) {
	var v any
	if err := spec.Decode(&v); err != nil {
		return nil, err
	}
	var fix func(v any) any
	fix = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = fix(e)
			}
		case []any:
			for i, e := range x {
				x[i] = fix(e)
			}
		case string:
			if goDuration.MatchString(x) {
				if dd, err := time.ParseDuration(x); err == nil {
					return strconv.FormatFloat(dd.Seconds(), 'f', -1, 64) + "s"
				}
			}
		}
		return v
	}
	return json.Marshal(fix(v))
}

// importDestinationRule reads a networking.istio.io DestinationRule's
// spec with istio.io/api's types and maps its trafficPolicy the way
// Istio's pilot translates it into an Envoy cluster.
func importDestinationRule(b *Block, d doc) error {
	spec := d.get("spec")
	if spec == nil {
		return &Error{d.pos(nil), "DestinationRule: spec is required"}
	}
	js, err := istioJSON(d, spec)
	if err != nil {
		return &Error{d.pos(spec), err.Error()}
	}
	var dr networking.DestinationRule
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, &dr); err != nil {
		return decodeError(d, "Istio DestinationRule", err)
	}
	b.Formats = append(b.Formats, "Istio DestinationRule")
	from := func(path string) string { return d.from("DestinationRule", "spec.trafficPolicy."+path) }
	tp := dr.GetTrafficPolicy()
	lb := tp.GetLoadBalancer()

	routing := ""
	switch {
	case lb.GetConsistentHash().GetMaglev() != nil:
		routing = "maglev"
		b.Routing = &KV{"routing", routing, from("loadBalancer.consistentHash.maglev")}
		if ts := lb.GetConsistentHash().GetMaglev().GetTableSize(); ts != 0 {
			b.Params = append(b.Params, KV{"table_size", strconv.FormatUint(ts, 10), from("loadBalancer.consistentHash.maglev.tableSize")})
		}
	case lb.GetConsistentHash() != nil:
		routing = "ring-hash"
		b.Routing = &KV{"routing", routing, from("loadBalancer.consistentHash")}
		size := "1024" // Istio sets Envoy's default explicitly
		src := from("loadBalancer.consistentHash") + " (" + istioCluster + " sets 1024)"
		if rh := lb.GetConsistentHash().GetRingHash(); rh != nil && rh.GetMinimumRingSize() != 0 {
			size, src = strconv.FormatUint(rh.GetMinimumRingSize(), 10), from("loadBalancer.consistentHash.ringHash.minimumRingSize")
		} else if m := lb.GetConsistentHash().GetMinimumRingSize(); m != 0 { //nolint:staticcheck // deprecated, still read by Istio
			size, src = strconv.FormatUint(m, 10), from("loadBalancer.consistentHash.minimumRingSize")
		}
		b.Params = append(b.Params, KV{"minimum_ring_size", size, src})
	default:
		switch lb.GetSimple() {
		case networking.LoadBalancerSettings_ROUND_ROBIN:
			routing = "round-robin"
		case networking.LoadBalancerSettings_RANDOM:
			routing = "random"
		case networking.LoadBalancerSettings_LEAST_REQUEST, networking.LoadBalancerSettings_LEAST_CONN: //nolint:staticcheck // LEAST_CONN is LEAST_REQUEST in Istio
			routing = "least-request"
		case networking.LoadBalancerSettings_PASSTHROUGH:
			return &Error{d.pos(d.get("spec.trafficPolicy.loadBalancer.simple")), "loadBalancer.simple PASSTHROUGH is not modelled (it sends each connection to its original destination)"}
		default:
			routing = "least-request"
		}
		if d.get("spec.trafficPolicy.loadBalancer.simple") != nil {
			b.Routing = &KV{"routing", routing, from("loadBalancer.simple")}
		} else {
			b.Routing = &KV{"routing", routing, "DestinationRule without loadBalancer.simple: Istio's default LEAST_REQUEST (" + istioCluster + " defaultLBAlgorithm)"}
		}
	}
	if w := lb.GetWarmupDurationSecs(); w != nil && (routing == "round-robin" || routing == "least-request") {
		b.Params = append(b.Params, KV{"slow_start_window", w.AsDuration().String(), from("loadBalancer.warmupDurationSecs")})
	}
	if w := lb.GetWarmup(); w != nil && (routing == "round-robin" || routing == "least-request") {
		if w.GetDuration() != nil {
			b.Params = append(b.Params, KV{"slow_start_window", w.GetDuration().AsDuration().String(), from("loadBalancer.warmup.duration")})
		}
		if w.GetMinimumPercent() != nil {
			b.Params = append(b.Params, KV{"slow_start_min_weight", num(w.GetMinimumPercent().GetValue()) + "%", from("loadBalancer.warmup.minimumPercent")})
		}
		if w.GetAggression() != nil {
			b.Params = append(b.Params, KV{"slow_start_aggression", num(w.GetAggression().GetValue()), from("loadBalancer.warmup.aggression")})
		}
	}
	if h := tp.GetConnectionPool().GetHttp(); h != nil {
		if h.GetHttp2MaxRequests() > 0 {
			b.Guards = append(b.Guards, Plug{Kind: "envoy-circuit-breaker", From: from("connectionPool.http"), Params: []KV{{"max_requests", strconv.Itoa(int(h.GetHttp2MaxRequests())), from("connectionPool.http.http2MaxRequests")}}})
		}
		if h.GetMaxRetries() > 0 {
			b.Retries = append(b.Retries, KV{"max_retries", strconv.Itoa(int(h.GetMaxRetries())), from("connectionPool.http.maxRetries")})
		}
	}
	if rb := tp.GetRetryBudget(); rb != nil {
		b.Retries = append(b.Retries, KV{"budget", num(rb.GetPercent().GetValue()) + "%", from("retryBudget.percent")})
		if rb.GetMinRetryConcurrency() != 0 {
			b.Retries = append(b.Retries, KV{"budget_min", strconv.Itoa(int(rb.GetMinRetryConcurrency())), from("retryBudget.minRetryConcurrency")})
		}
	}
	if od := tp.GetOutlierDetection(); od != nil {
		g := Plug{Kind: "outlier-detection", From: from("outlierDetection"), Params: []KV{
			{"enforcing_success_rate", "0%", from("outlierDetection") + ": Istio disables success-rate ejection (" + istioCluster + " applyOutlierDetection)"},
		}}
		if v := od.GetConsecutive_5XxErrors(); v != nil {
			g.Params = append(g.Params, KV{"consecutive_5xx", strconv.FormatUint(uint64(v.GetValue()), 10), from("outlierDetection.consecutive5xxErrors")})
			if v.GetValue() == 0 {
				g.Params = append(g.Params, KV{"enforcing_consecutive_5xx", "0%", from("outlierDetection.consecutive5xxErrors") + " = 0 disables it (" + istioCluster + ")"})
			}
		}
		if od.GetInterval() != nil {
			g.Params = append(g.Params, KV{"interval", od.GetInterval().AsDuration().String(), from("outlierDetection.interval")})
		}
		if od.GetBaseEjectionTime() != nil {
			g.Params = append(g.Params, KV{"base_ejection_time", od.GetBaseEjectionTime().AsDuration().String(), from("outlierDetection.baseEjectionTime")})
		}
		if od.GetMaxEjectionPercent() > 0 {
			g.Params = append(g.Params, KV{"max_ejection_percent", strconv.Itoa(int(od.GetMaxEjectionPercent())) + "%", from("outlierDetection.maxEjectionPercent")})
		}
		if v := od.GetFailurePercentageThreshold(); v != nil {
			g.Params = append(g.Params, KV{"failure_percentage_threshold", strconv.FormatUint(uint64(v.GetValue()), 10) + "%", from("outlierDetection.failurePercentageThreshold")},
				KV{"enforcing_failure_percentage", "100%", from("outlierDetection.failurePercentageThreshold") + " (Istio enforces it)"})
		}
		b.Guards = append(b.Guards, g)
		// Istio sets the panic threshold to minHealthPercent, 0 unless
		// given, whenever outlier detection is on.
		src := from("outlierDetection.minHealthPercent")
		if d.get("spec.trafficPolicy.outlierDetection.minHealthPercent") == nil {
			src = from("outlierDetection") + ": minHealthPercent unset, Istio sets healthy_panic_threshold 0 (" + istioCluster + ")"
		}
		b.Panic = &KV{"panic_threshold", strconv.Itoa(int(od.GetMinHealthPercent())) + "%", src}
	}
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: []string{
			"spec.trafficPolicy.loadBalancer.simple", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
			"spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize",
			"spec.trafficPolicy.loadBalancer.consistentHash.maglev", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash",
			"spec.trafficPolicy.loadBalancer.warmupDurationSecs", "spec.trafficPolicy.loadBalancer.warmup",
			"spec.trafficPolicy.connectionPool.http.http2MaxRequests", "spec.trafficPolicy.connectionPool.http.maxRetries",
			"spec.trafficPolicy.retryBudget",
			"spec.trafficPolicy.outlierDetection.consecutive5xxErrors", "spec.trafficPolicy.outlierDetection.interval",
			"spec.trafficPolicy.outlierDetection.baseEjectionTime", "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
			"spec.trafficPolicy.outlierDetection.minHealthPercent", "spec.trafficPolicy.outlierDetection.failurePercentageThreshold",
		},
		identity: []string{"apiVersion", "kind", "metadata", "spec.host"},
		whole:    []string{"spec.subsets", "spec.trafficPolicy.tls", "spec.trafficPolicy.portLevelSettings", "spec.exportTo", "spec.workloadSelector"},
		msg: func(p string) string {
			if strings.HasPrefix(p, "spec.trafficPolicy.loadBalancer.consistentHash.") {
				return "not modelled: tangle hashes each request's own key"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}

// istioRetry is Istio's retry policy when a VirtualService route sets
// none: pilot/pkg/networking/core/route/retry/retry.go DefaultPolicy.
const istioRetry = "istio pilot route/retry/retry.go DefaultPolicy"

// importVirtualService reads a VirtualService's spec with istio.io/api's
// types and takes the retries of its first HTTP route.
func importVirtualService(b *Block, d doc) error {
	spec := d.get("spec")
	if spec == nil {
		return &Error{d.pos(nil), "VirtualService: spec is required"}
	}
	js, err := istioJSON(d, spec)
	if err != nil {
		return &Error{d.pos(spec), err.Error()}
	}
	var vs networking.VirtualService
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, &vs); err != nil {
		return decodeError(d, "Istio VirtualService", err)
	}
	b.Formats = append(b.Formats, "Istio VirtualService")
	if len(vs.GetHttp()) == 0 {
		b.Warnings = append(b.Warnings, Warning{d.pos(spec), "spec.http", "no HTTP routes: nothing to import"})
		return nil
	}
	r := vs.GetHttp()[0].GetRetries()
	from := func(path string) string { return d.from("VirtualService", "spec.http[0].retries."+path) }
	if r == nil {
		b.Retries = append(b.Retries,
			KV{"num_retries", "2", "VirtualService spec.http[0] without retries: " + istioRetry + " (attempts 2)"},
			KV{"retry_on", "connect-failure", istioRetry + " (connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes: tangle models connect-failure)"},
			KV{"retry_other_host", "true", istioRetry + " (previous_hosts predicate)"})
	} else {
		b.Retries = append(b.Retries, KV{"num_retries", strconv.Itoa(int(r.GetAttempts())), from("attempts")})
		if r.GetRetryOn() != "" {
			on, dropped := retryOn(r.GetRetryOn())
			if len(dropped) > 0 {
				b.Warnings = append(b.Warnings, Warning{keyPos(d, "retryOn"), "spec.http[0].retries.retryOn", "not modelled: " + strings.Join(dropped, ", ")})
			}
			if on == "" {
				b.Retries[len(b.Retries)-1].Value = "0"
			} else {
				b.Retries = append(b.Retries, KV{"retry_on", on, from("retryOn")})
			}
		} else {
			b.Retries = append(b.Retries, KV{"retry_on", "connect-failure", from("retryOn") + " unset: " + istioRetry})
		}
		if r.GetPerTryTimeout() != nil {
			b.Retries = append(b.Retries, KV{"per_try_timeout", r.GetPerTryTimeout().AsDuration().String(), from("perTryTimeout")})
		}
		if r.GetBackoff() != nil {
			b.Retries = append(b.Retries, KV{"base_interval", r.GetBackoff().AsDuration().String(), from("backoff")})
		}
		switch {
		case r.GetRetryIgnorePreviousHosts() == nil:
			b.Retries = append(b.Retries, KV{"retry_other_host", "true", "VirtualService spec.http[0].retries: retryIgnorePreviousHosts unset, Istio's default true"})
		case r.GetRetryIgnorePreviousHosts().GetValue():
			b.Retries = append(b.Retries, KV{"retry_other_host", "true", from("retryIgnorePreviousHosts")})
		}
	}
	var modelled []string
	for _, f := range []string{"attempts", "retryOn", "perTryTimeout", "backoff", "retryIgnorePreviousHosts"} {
		modelled = append(modelled, "spec.http[0].retries."+f)
	}
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: modelled,
		identity: []string{"apiVersion", "kind", "metadata", "spec.hosts", "spec.gateways", "spec.exportTo", "spec.http[*].name", "spec.http[*].match", "spec.http[*].route"},
		msg: func(p string) string {
			if strings.Contains(p, ".retries") {
				return "ignored: tangle takes the retries of the first HTTP route"
			}
			if strings.HasSuffix(p, ".timeout") {
				return "not modelled as a strategy parameter: set the client's timeout in the scenario's topology"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}
