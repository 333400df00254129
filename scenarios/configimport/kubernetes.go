package configimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// strict decodes JSON into v, refusing unknown fields as the API server's
// strict field validation does.
func strict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// importHPA reads an autoscaling/v2 HorizontalPodAutoscaler with
// k8s.io/api's types into an autoscaling entry for the hpa autoscaler of
// its scale target: min/max replicas, the metric (a cpu Utilization
// target, or a Pods metric's AverageValue as in-flight requests per pod),
// and the behavior (stabilisation windows, select policies, one Pods and
// one Percent policy per direction, tolerances). Unset fields take the
// defaults kubernetes pkg/apis/autoscaling/v2/defaults.go gives them,
// which are the hpa autoscaler's defaults too; what tangle does not model
// is named in warnings.
func importHPA(b *Block, d doc) error {
	if api := d.str("apiVersion"); api != "autoscaling/v2" {
		return &Error{d.pos(d.get("apiVersion")), fmt.Sprintf("HorizontalPodAutoscaler %s: tangle reads autoscaling/v2 (kubectl convert, or write spec.metrics as autoscaling/v2 does)", api)}
	}
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	if err := strict(js, &hpa); err != nil {
		return decodeError(d, "HorizontalPodAutoscaler", err)
	}
	// The API server's checks (kubernetes pkg/apis/autoscaling/validation,
	// without the HPAScaleToZero feature gate).
	minR := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minR = *hpa.Spec.MinReplicas
	}
	switch {
	case minR < 1:
		return &Error{d.pos(d.get("spec.minReplicas")), fmt.Sprintf("spec.minReplicas: Invalid value: %d: must be greater than or equal to 1", minR)}
	case hpa.Spec.MaxReplicas < 1:
		return &Error{d.pos(d.get("spec.maxReplicas")), fmt.Sprintf("spec.maxReplicas: Invalid value: %d: must be greater than 0", hpa.Spec.MaxReplicas)}
	case hpa.Spec.MaxReplicas < minR:
		return &Error{d.pos(d.get("spec.maxReplicas")), fmt.Sprintf("spec.maxReplicas: Invalid value: %d: must be greater than or equal to `minReplicas`", hpa.Spec.MaxReplicas)}
	}
	b.Formats = append(b.Formats, "Kubernetes HorizontalPodAutoscaler")
	from := func(path string) string { return d.from("HorizontalPodAutoscaler", path) }
	warn := func(path, msg string) {
		b.Warnings = append(b.Warnings, Warning{d.pos(d.get(path)), path, msg})
	}
	a := &Scale{Service: hpa.Spec.ScaleTargetRef.Name, Plug: Plug{Kind: "hpa", From: from("spec")}}
	add := func(key, value, src string) { a.Params = append(a.Params, KV{key, value, src}) }
	src := from("spec.minReplicas")
	if hpa.Spec.MinReplicas == nil {
		src = "HorizontalPodAutoscaler spec.minReplicas unset: Kubernetes' default 1"
	}
	add("min_replicas", strconv.Itoa(int(minR)), src)
	add("max_replicas", strconv.Itoa(int(hpa.Spec.MaxReplicas)), from("spec.maxReplicas"))
	used := false
	for i, m := range hpa.Spec.Metrics {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		switch {
		case used:
			warn(path, "tangle's hpa follows one metric; the controller's maximum over several metrics is not modelled, so this one is ignored")
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization != nil:
			add("metric", "cpu", from(path))
			add("target_utilization", strconv.Itoa(int(*m.Resource.Target.AverageUtilization))+"%", from(path+".resource.target.averageUtilization"))
			warn(path+".resource", "cpu utilisation is modelled as the busy fraction of each pod's service slots over the sync period (metrics-server's resolution); containers' cpu requests are not modelled")
			used = true
		case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil && m.Pods.Target.AverageValue != nil:
			add("metric", "inflight", from(path))
			add("target_inflight", m.Pods.Target.AverageValue.AsDec().String(), from(path+".pods.target.averageValue"))
			warn(path+".pods.metric.name", fmt.Sprintf("Pods metric %q is modelled as requests in flight at each pod (in service and queued)", m.Pods.Metric.Name))
			used = true
		default:
			warn(path, fmt.Sprintf("a %s metric is not modelled (tangle's hpa follows cpu utilisation or a Pods metric as in-flight requests)", m.Type))
		}
	}
	if !used {
		add("metric", "cpu", "HorizontalPodAutoscaler spec.metrics has no cpu Utilization or Pods metric: Kubernetes' default, cpu")
		add("target_utilization", "80%", "Kubernetes' default 80% cpu utilisation")
	}
	if bh := hpa.Spec.Behavior; bh != nil {
		for _, dir := range []struct {
			name  string
			rules *autoscalingv2.HPAScalingRules
		}{{"up", bh.ScaleUp}, {"down", bh.ScaleDown}} {
			r := dir.rules
			if r == nil {
				continue
			}
			path := "spec.behavior.scale" + strings.ToUpper(dir.name[:1]) + dir.name[1:]
			key := "scale_" + dir.name + "_"
			if r.StabilizationWindowSeconds != nil {
				add(key+"stabilization", strconv.Itoa(int(*r.StabilizationWindowSeconds))+"s", from(path+".stabilizationWindowSeconds"))
			}
			if r.SelectPolicy != nil {
				sel := map[autoscalingv2.ScalingPolicySelect]string{autoscalingv2.MaxChangePolicySelect: "max", autoscalingv2.MinChangePolicySelect: "min", autoscalingv2.DisabledPolicySelect: "disabled"}[*r.SelectPolicy]
				if sel == "" {
					return &Error{d.pos(d.get(path + ".selectPolicy")), fmt.Sprintf("%s.selectPolicy: Unsupported value: %q: supported values: \"Disabled\", \"Max\", \"Min\"", path, *r.SelectPolicy)}
				}
				add(key+"select", sel, from(path+".selectPolicy"))
			}
			if r.Tolerance != nil {
				add(key+"tolerance", r.Tolerance.AsDec().String(), from(path+".tolerance"))
			}
			if r.Policies == nil { // defaulted: the direction's default policies
				continue
			}
			seen := map[autoscalingv2.HPAScalingPolicyType]bool{}
			for j, pol := range r.Policies {
				pp := fmt.Sprintf("%s.policies[%d]", path, j)
				if pol.Value <= 0 || pol.PeriodSeconds <= 0 || pol.PeriodSeconds > 1800 {
					return &Error{d.pos(d.get(pp)), fmt.Sprintf("%s: Invalid value: value must be greater than zero and periodSeconds in (0, 1800]", pp)}
				}
				kind := map[autoscalingv2.HPAScalingPolicyType]string{autoscalingv2.PodsScalingPolicy: "pods", autoscalingv2.PercentScalingPolicy: "percent"}[pol.Type]
				switch {
				case kind == "":
					return &Error{d.pos(d.get(pp + ".type")), fmt.Sprintf("%s.type: Unsupported value: %q: supported values: \"Percent\", \"Pods\"", pp, pol.Type)}
				case seen[pol.Type]:
					warn(pp, fmt.Sprintf("tangle's hpa takes one %s policy per direction; this one is ignored", pol.Type))
					continue
				}
				seen[pol.Type] = true
				add(key+kind, strconv.Itoa(int(pol.Value)), from(pp+".value"))
				add(key+kind+"_period", strconv.Itoa(int(pol.PeriodSeconds))+"s", from(pp+".periodSeconds"))
			}
			for t, kind := range map[autoscalingv2.HPAScalingPolicyType]string{autoscalingv2.PodsScalingPolicy: "pods", autoscalingv2.PercentScalingPolicy: "percent"} {
				if !seen[t] { // the given list replaces the defaults
					a.Params = append(a.Params, KV{key + kind, "0", fmt.Sprintf("HorizontalPodAutoscaler %s.policies has no %s policy", path, t)})
				}
			}
		}
	}
	sortKVs(a.Params)
	b.Autoscaling = a
	return nil
}

// importDeployment reads an apps/v1 Deployment with k8s.io/api's types
// and maps its rolling-update strategy onto the deployment rollout.
func importDeployment(b *Block, d doc) error {
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var dep appsv1.Deployment
	if err := strict(js, &dep); err != nil {
		return decodeError(d, "Deployment", err)
	}
	st := dep.Spec.Strategy
	if st.Type == appsv1.RecreateDeploymentStrategyType {
		if st.RollingUpdate != nil {
			return &Error{d.pos(d.get("spec.strategy.rollingUpdate")), "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"}
		}
		return &Error{d.pos(d.get("spec.strategy.type")), "spec.strategy.type Recreate is not modelled; tangle's deployment rollout is a RollingUpdate"}
	}
	b.Formats = append(b.Formats, "Kubernetes Deployment")
	from := func(path string) string { return d.from("Deployment", path) }
	ro := &Plug{Kind: "deployment", From: from("spec.strategy")}
	// The API server's checks (kubernetes pkg/apis/apps/validation
	// ValidateRollingUpdateDeployment).
	var surge, unavail *intstr.IntOrString
	if ru := st.RollingUpdate; ru != nil {
		surge, unavail = ru.MaxSurge, ru.MaxUnavailable
	}
	isZero := func(v *intstr.IntOrString) bool {
		return v != nil && (v.Type == intstr.Int && v.IntVal == 0 || v.Type == intstr.String && strings.TrimSuffix(v.StrVal, "%") == "0")
	}
	if isZero(unavail) && isZero(surge) {
		return &Error{d.pos(d.get("spec.strategy.rollingUpdate.maxUnavailable")), "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"}
	}
	one := func(v *intstr.IntOrString, name, ratioKey, podsKey string) error {
		if v == nil {
			return nil
		}
		path := "spec.strategy.rollingUpdate." + name
		if v.Type == intstr.Int {
			if v.IntVal < 0 {
				return &Error{d.pos(d.get(path)), fmt.Sprintf("%s: Invalid value: %d: must be greater than or equal to 0", path, v.IntVal)}
			}
			ro.Params = append(ro.Params, KV{podsKey, strconv.Itoa(int(v.IntVal)), from(path)})
			return nil
		}
		p, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		if err != nil || !strings.HasSuffix(v.StrVal, "%") {
			return &Error{d.pos(d.get(path)), fmt.Sprintf("%s: Invalid value: %q: a valid percent string must be a numeric string followed by an ending '%%'", path, v.StrVal)}
		}
		if name == "maxUnavailable" && p > 100 {
			return &Error{d.pos(d.get(path)), fmt.Sprintf("%s: Invalid value: %q: must not be greater than 100%%", path, v.StrVal)}
		}
		ro.Params = append(ro.Params, KV{ratioKey, v.StrVal, from(path)})
		return nil
	}
	if err := one(surge, "maxSurge", "max_surge", "max_surge_pods"); err != nil {
		return err
	}
	if err := one(unavail, "maxUnavailable", "max_unavailable", "max_unavailable_pods"); err != nil {
		return err
	}
	if p := dep.Spec.ProgressDeadlineSeconds; p != nil {
		if *p <= dep.Spec.MinReadySeconds {
			return &Error{d.pos(d.get("spec.progressDeadlineSeconds")), fmt.Sprintf("spec.progressDeadlineSeconds: Invalid value: %d: must be greater than minReadySeconds", *p)}
		}
		ro.Params = append(ro.Params, KV{"progress_deadline", strconv.Itoa(int(*p)) + "s", from("spec.progressDeadlineSeconds")})
	}
	b.Rollout = ro
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: []string{"spec.strategy.type", "spec.strategy.rollingUpdate.maxSurge", "spec.strategy.rollingUpdate.maxUnavailable", "spec.progressDeadlineSeconds"},
		identity: []string{"apiVersion", "kind", "metadata", "spec.selector"},
		whole:    []string{"spec.template"},
		msg: func(p string) string {
			switch p {
			case "spec.template":
				return "not modelled: the scenario's service describes the pods"
			case "spec.replicas":
				return "not modelled as a strategy parameter: the scenario's topology sets the service's replicas"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}

// sortKVs orders imported parameters by key, so maps iterated above leave
// no trace of their order.
func sortKVs(kvs []KV) {
	slices.SortStableFunc(kvs, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
}
