package configimport

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	// Registers the previous_hosts retry predicate, which routes name by type URL.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// importEnvoyCluster reads an envoy.config.cluster.v3.Cluster as Envoy's
// docs write it (YAML, snake_case field names) with go-control-plane's
// types, checks it with the proto's validation rules (protoc-gen-validate,
// what Envoy itself enforces on load) and maps what tangle models.
func importEnvoyCluster(b *Block, d doc) error {
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var c clusterv3.Cluster
	if err := (protojson.UnmarshalOptions{}).Unmarshal(stripType(js), &c); err != nil {
		return decodeError(d, "Envoy Cluster", err)
	}
	if err := c.ValidateAll(); err != nil {
		return decodeError(d, "Envoy Cluster rejected", err)
	}
	b.Formats = append(b.Formats, "Envoy Cluster")
	from := func(path string) string { return d.from("Cluster", path) }
	set := func(list *[]KV, key, value, path string) { *list = append(*list, KV{key, value, from(path)}) }

	routing := ""
	switch c.GetLbPolicy() {
	case clusterv3.Cluster_ROUND_ROBIN:
		routing = "round-robin"
	case clusterv3.Cluster_LEAST_REQUEST:
		routing = "least-request"
	case clusterv3.Cluster_RANDOM:
		routing = "random"
	case clusterv3.Cluster_RING_HASH:
		routing = "ring-hash"
	case clusterv3.Cluster_MAGLEV:
		routing = "maglev"
	default:
		return &Error{d.pos(d.get("lb_policy")), fmt.Sprintf("lb_policy %s is not modelled; tangle imports ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH and MAGLEV", c.GetLbPolicy())}
	}
	path := "lb_policy"
	if d.get(path) == nil {
		b.Routing = &KV{"routing", routing, "Cluster lb_policy (unset: Envoy's default ROUND_ROBIN)"}
	} else {
		b.Routing = &KV{"routing", routing, from(path)}
	}
	slowStart := func(s *clusterv3.Cluster_SlowStartConfig, base string) {
		if s == nil {
			return
		}
		if s.GetSlowStartWindow() != nil {
			set(&b.Params, "slow_start_window", dur(s.GetSlowStartWindow()), base+".slow_start_window")
		}
		if s.GetAggression() != nil {
			set(&b.Params, "slow_start_aggression", num(s.GetAggression().GetDefaultValue()), base+".aggression.default_value")
		}
		if s.GetMinWeightPercent() != nil {
			set(&b.Params, "slow_start_min_weight", pct(s.GetMinWeightPercent()), base+".min_weight_percent.value")
		}
	}
	lbMismatch := func(cfg, want string) {
		if d.get(cfg) != nil && routing != want {
			b.Warnings = append(b.Warnings, Warning{d.pos(d.get(cfg)), cfg, fmt.Sprintf("ignored: lb_policy is %s, and Envoy reads this only with %s", c.GetLbPolicy(), strings.ToUpper(strings.ReplaceAll(want, "-", "_")))})
		}
	}
	lbMismatch("least_request_lb_config", "least-request")
	lbMismatch("round_robin_lb_config", "round-robin")
	lbMismatch("ring_hash_lb_config", "ring-hash")
	lbMismatch("maglev_lb_config", "maglev")
	switch routing {
	case "least-request":
		lr := c.GetLeastRequestLbConfig()
		if lr.GetChoiceCount() != nil {
			set(&b.Params, "choices", u32(lr.GetChoiceCount()), "least_request_lb_config.choice_count")
		}
		if lr.GetActiveRequestBias() != nil {
			set(&b.Params, "active_request_bias", num(lr.GetActiveRequestBias().GetDefaultValue()), "least_request_lb_config.active_request_bias.default_value")
		}
		slowStart(lr.GetSlowStartConfig(), "least_request_lb_config.slow_start_config")
	case "round-robin":
		slowStart(c.GetRoundRobinLbConfig().GetSlowStartConfig(), "round_robin_lb_config.slow_start_config")
	case "ring-hash":
		rh := c.GetRingHashLbConfig()
		if rh.GetMinimumRingSize() != nil {
			set(&b.Params, "minimum_ring_size", strconv.FormatUint(rh.GetMinimumRingSize().GetValue(), 10), "ring_hash_lb_config.minimum_ring_size")
		}
		if rh.GetMaximumRingSize() != nil {
			set(&b.Params, "maximum_ring_size", strconv.FormatUint(rh.GetMaximumRingSize().GetValue(), 10), "ring_hash_lb_config.maximum_ring_size")
		}
	case "maglev":
		if ts := c.GetMaglevLbConfig().GetTableSize(); ts != nil {
			set(&b.Params, "table_size", strconv.FormatUint(ts.GetValue(), 10), "maglev_lb_config.table_size")
		}
	}
	if hb := c.GetCommonLbConfig().GetConsistentHashingLbConfig().GetHashBalanceFactor(); hb != nil {
		if routing == "ring-hash" || routing == "maglev" {
			set(&b.Params, "hash_balance_factor", u32(hb), "common_lb_config.consistent_hashing_lb_config.hash_balance_factor")
		} else {
			b.Warnings = append(b.Warnings, Warning{d.pos(d.get("common_lb_config.consistent_hashing_lb_config.hash_balance_factor")), "common_lb_config.consistent_hashing_lb_config.hash_balance_factor", "ignored: only ring hash and Maglev use it"})
		}
	}
	if p := c.GetCommonLbConfig().GetHealthyPanicThreshold(); p != nil {
		b.Panic = &KV{"panic_threshold", pct(p), from("common_lb_config.healthy_panic_threshold.value")}
	}
	if od := c.GetOutlierDetection(); od != nil {
		g := Plug{Kind: "outlier-detection", From: from("outlier_detection")}
		o := func(key string, v *wrapperspb.UInt32Value, field string, conv func(uint32) string) {
			if v != nil {
				g.Params = append(g.Params, KV{key, conv(v.GetValue()), from("outlier_detection." + field)})
			}
		}
		dd := func(key string, v *durationpb.Duration, field string) {
			if v != nil {
				g.Params = append(g.Params, KV{key, dur(v), from("outlier_detection." + field)})
			}
		}
		count := func(x uint32) string { return strconv.FormatUint(uint64(x), 10) }
		percent := func(x uint32) string { return strconv.FormatUint(uint64(x), 10) + "%" }
		o("consecutive_5xx", od.GetConsecutive_5Xx(), "consecutive_5xx", count)
		o("enforcing_consecutive_5xx", od.GetEnforcingConsecutive_5Xx(), "enforcing_consecutive_5xx", percent)
		dd("interval", od.GetInterval(), "interval")
		dd("base_ejection_time", od.GetBaseEjectionTime(), "base_ejection_time")
		dd("max_ejection_time", od.GetMaxEjectionTime(), "max_ejection_time")
		dd("max_ejection_time_jitter", od.GetMaxEjectionTimeJitter(), "max_ejection_time_jitter")
		o("max_ejection_percent", od.GetMaxEjectionPercent(), "max_ejection_percent", percent)
		if v := od.GetAlwaysEjectOneHost(); v != nil {
			g.Params = append(g.Params, KV{"always_eject_one_host", strconv.FormatBool(v.GetValue()), from("outlier_detection.always_eject_one_host")})
		}
		o("success_rate_minimum_hosts", od.GetSuccessRateMinimumHosts(), "success_rate_minimum_hosts", count)
		o("success_rate_request_volume", od.GetSuccessRateRequestVolume(), "success_rate_request_volume", count)
		o("success_rate_stdev_factor", od.GetSuccessRateStdevFactor(), "success_rate_stdev_factor", func(x uint32) string { return num(float64(x) / 1000) })
		o("enforcing_success_rate", od.GetEnforcingSuccessRate(), "enforcing_success_rate", percent)
		o("failure_percentage_threshold", od.GetFailurePercentageThreshold(), "failure_percentage_threshold", percent)
		o("enforcing_failure_percentage", od.GetEnforcingFailurePercentage(), "enforcing_failure_percentage", percent)
		o("failure_percentage_minimum_hosts", od.GetFailurePercentageMinimumHosts(), "failure_percentage_minimum_hosts", count)
		o("failure_percentage_request_volume", od.GetFailurePercentageRequestVolume(), "failure_percentage_request_volume", count)
		b.Guards = append(b.Guards, g)
	}
	var thresholds []string // modelled paths under circuit_breakers
	for i, t := range c.GetCircuitBreakers().GetThresholds() {
		base := fmt.Sprintf("circuit_breakers.thresholds[%d]", i)
		if t.GetPriority() != corev3.RoutingPriority_DEFAULT {
			continue // warned below as unmodelled: tangle has one priority
		}
		thresholds = append(thresholds, base+".priority", base+".max_requests", base+".max_retries", base+".retry_budget.budget_percent", base+".retry_budget.min_retry_concurrency")
		p := fmt.Sprintf("circuit_breakers.thresholds[%d]", i)
		if t.GetMaxRequests() != nil {
			b.Guards = append(b.Guards, Plug{Kind: "envoy-circuit-breaker", From: from("circuit_breakers"), Params: []KV{{"max_requests", u32(t.GetMaxRequests()), from(p + ".max_requests")}}})
		}
		if t.GetMaxRetries() != nil {
			b.Retries = append(b.Retries, KV{"max_retries", u32(t.GetMaxRetries()), from(p + ".max_retries")})
		}
		if rb := t.GetRetryBudget(); rb != nil {
			bp := "20%" // Envoy: budget_percent defaults to 20% when a retry budget is set
			if rb.GetBudgetPercent() != nil {
				bp = pct(rb.GetBudgetPercent())
			}
			b.Retries = append(b.Retries, KV{"budget", bp, from(p+".retry_budget") + " budget_percent (unset: Envoy's 20%)"})
			if rb.GetMinRetryConcurrency() != nil {
				b.Retries = append(b.Retries, KV{"budget_min", u32(rb.GetMinRetryConcurrency()), from(p + ".retry_budget.min_retry_concurrency")})
			}
		}
	}
	modelled := append([]string{
		"lb_policy",
		"least_request_lb_config.choice_count", "least_request_lb_config.active_request_bias.default_value",
		"least_request_lb_config.slow_start_config.slow_start_window", "least_request_lb_config.slow_start_config.aggression.default_value", "least_request_lb_config.slow_start_config.min_weight_percent",
		"round_robin_lb_config.slow_start_config.slow_start_window", "round_robin_lb_config.slow_start_config.aggression.default_value", "round_robin_lb_config.slow_start_config.min_weight_percent",
		"ring_hash_lb_config.minimum_ring_size", "ring_hash_lb_config.maximum_ring_size", "maglev_lb_config.table_size",
		"common_lb_config.healthy_panic_threshold", "common_lb_config.consistent_hashing_lb_config.hash_balance_factor",
		"outlier_detection.consecutive_5xx", "outlier_detection.enforcing_consecutive_5xx", "outlier_detection.interval",
		"outlier_detection.base_ejection_time", "outlier_detection.max_ejection_time", "outlier_detection.max_ejection_time_jitter",
		"outlier_detection.max_ejection_percent", "outlier_detection.always_eject_one_host",
		"outlier_detection.success_rate_minimum_hosts", "outlier_detection.success_rate_request_volume", "outlier_detection.success_rate_stdev_factor",
		"outlier_detection.enforcing_success_rate", "outlier_detection.failure_percentage_threshold", "outlier_detection.enforcing_failure_percentage",
		"outlier_detection.failure_percentage_minimum_hosts", "outlier_detection.failure_percentage_request_volume",
	}, thresholds...)
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: modelled,
		identity: []string{"name", "@type"},
		whole:    []string{"load_assignment", "transport_socket", "typed_extension_protocol_options", "health_checks"},
		msg: func(p string) string {
			switch {
			case p == "load_assignment":
				return "not modelled: the scenario's topology defines the hosts"
			case strings.HasPrefix(p, "circuit_breakers.thresholds"):
				return "not modelled (tangle models max_requests, max_retries and the retry budget of the DEFAULT priority)"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}

// importEnvoyRoutes reads an envoy.config.route.v3.RouteConfiguration and
// takes its retry policy (the virtual host's, or the first route's).
func importEnvoyRoutes(b *Block, d doc) error {
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var rc routev3.RouteConfiguration
	if err := (protojson.UnmarshalOptions{}).Unmarshal(stripType(js), &rc); err != nil {
		return decodeError(d, "Envoy RouteConfiguration", err)
	}
	if err := rc.ValidateAll(); err != nil {
		return decodeError(d, "Envoy RouteConfiguration rejected", err)
	}
	b.Formats = append(b.Formats, "Envoy RouteConfiguration")
	var policy *routev3.RetryPolicy
	policyPath := ""
	var modelled []string
	for i, vh := range rc.GetVirtualHosts() {
		paths := []string{fmt.Sprintf("virtual_hosts[%d].retry_policy", i)}
		policies := []*routev3.RetryPolicy{vh.GetRetryPolicy()}
		for j, r := range vh.GetRoutes() {
			paths = append(paths, fmt.Sprintf("virtual_hosts[%d].routes[%d].route.retry_policy", i, j))
			policies = append(policies, r.GetRoute().GetRetryPolicy())
		}
		for k, p := range policies {
			if p == nil {
				continue
			}
			if policy == nil {
				policy, policyPath = p, paths[k]
			}
			if p == policy {
				for _, f := range []string{"retry_on", "num_retries", "per_try_timeout", "retry_back_off.base_interval", "retry_back_off.max_interval", "retry_host_predicate"} {
					modelled = append(modelled, paths[k]+"."+f)
				}
			}
		}
	}
	if policy == nil {
		b.Warnings = append(b.Warnings, Warning{d.pos(nil), "virtual_hosts", "no retry_policy: Envoy does not retry (retries: num_retries 0)"})
		b.Retries = append(b.Retries, KV{"num_retries", "0", d.from("RouteConfiguration", "virtual_hosts") + ": no retry_policy"})
	} else {
		pf := func(f string) string { return d.from("RouteConfiguration", policyPath+"."+f) }
		on, dropped := retryOn(policy.GetRetryOn())
		if len(dropped) > 0 {
			b.Warnings = append(b.Warnings, Warning{d.pos(d.get(policyPath + ".retry_on")), policyPath + ".retry_on", "not modelled: " + strings.Join(dropped, ", ")})
		}
		n := uint32(1) // Envoy: num_retries defaults to 1
		if policy.GetNumRetries() != nil {
			n = policy.GetNumRetries().GetValue()
		}
		if on == "" {
			n = 0
		}
		b.Retries = append(b.Retries, KV{"num_retries", strconv.FormatUint(uint64(n), 10), pf("num_retries") + " (unset: Envoy's 1)"})
		if on != "" {
			b.Retries = append(b.Retries, KV{"retry_on", on, pf("retry_on")})
		}
		if policy.GetPerTryTimeout() != nil {
			b.Retries = append(b.Retries, KV{"per_try_timeout", dur(policy.GetPerTryTimeout()), pf("per_try_timeout")})
		}
		if bo := policy.GetRetryBackOff(); bo != nil {
			b.Retries = append(b.Retries, KV{"base_interval", dur(bo.GetBaseInterval()), pf("retry_back_off.base_interval")})
			if bo.GetMaxInterval() != nil {
				b.Retries = append(b.Retries, KV{"max_interval", dur(bo.GetMaxInterval()), pf("retry_back_off.max_interval")})
			} else { // Envoy: max_interval defaults to 10 × base_interval
				b.Retries = append(b.Retries, KV{"max_interval", dur(durationpb.New(10 * bo.GetBaseInterval().AsDuration())), pf("retry_back_off.base_interval") + " × 10 (Envoy's default max_interval)"})
			}
		}
		for _, hp := range policy.GetRetryHostPredicate() {
			if hp.GetName() == "envoy.retry_host_predicates.previous_hosts" {
				b.Retries = append(b.Retries, KV{"retry_other_host", "true", pf("retry_host_predicate")})
			} else {
				b.Warnings = append(b.Warnings, Warning{d.pos(nil), policyPath + ".retry_host_predicate", "not modelled: " + hp.GetName()})
			}
		}
	}
	modelled = append(modelled, envoyHedge(b, d, &rc)...)
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: modelled,
		identity: []string{"name", "@type", "virtual_hosts[*].name", "virtual_hosts[*].domains", "virtual_hosts[*].routes[*].match", "virtual_hosts[*].routes[*].route.cluster"},
		msg: func(p string) string {
			if strings.Contains(p, "retry_policy") && p != policyPath && !strings.HasPrefix(p, policyPath+".") {
				return "ignored: tangle takes one retry policy per strategy, the one at " + policyPath
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}

// retryOn keeps the retry conditions tangle models (Envoy x-envoy-retry-on).
func retryOn(s string) (string, []string) {
	var keep, dropped []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		switch c {
		case "":
		case "5xx", "gateway-error", "reset", "connect-failure":
			keep = append(keep, c)
		default:
			dropped = append(dropped, c)
		}
	}
	return strings.Join(keep, ","), dropped
}

// stripType drops an "@type" key: the resource is already typed.
func stripType(js []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return js
	}
	delete(m, "@type")
	out, err := json.Marshal(m)
	if err != nil {
		return js
	}
	return out
}

func u32(v *wrapperspb.UInt32Value) string { return strconv.FormatUint(uint64(v.GetValue()), 10) }

func pct(p *typev3.Percent) string { return num(p.GetValue()) + "%" }

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func dur(d *durationpb.Duration) string { return d.AsDuration().String() }

// envoyHedge imports the first hedge_policy of rc (a virtual host's, then
// its routes'): Envoy's router reads only hedge_on_per_try_timeout
// (router.cc FilterUtility::finalHedgingParams); initial_requests and
// additional_request_chance are [#not-implemented-hide:] in
// route_components.proto, so they stay unmodelled and are named. It
// returns the fields it modelled.
func envoyHedge(b *Block, d doc, rc *routev3.RouteConfiguration) []string {
	for i, vh := range rc.GetVirtualHosts() {
		paths := []string{fmt.Sprintf("virtual_hosts[%d].hedge_policy", i)}
		policies := []*routev3.HedgePolicy{vh.GetHedgePolicy()}
		for j, r := range vh.GetRoutes() {
			paths = append(paths, fmt.Sprintf("virtual_hosts[%d].routes[%d].route.hedge_policy", i, j))
			policies = append(policies, r.GetRoute().GetHedgePolicy())
		}
		for k, p := range policies {
			if p == nil {
				continue
			}
			if p.GetHedgeOnPerTryTimeout() {
				b.Hedging = append(b.Hedging, KV{"policy", "envoy", d.from("RouteConfiguration", paths[k]+".hedge_on_per_try_timeout")})
			}
			return []string{paths[k] + ".hedge_on_per_try_timeout"}
		}
	}
	return nil
}
