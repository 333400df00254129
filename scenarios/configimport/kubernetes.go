package configimport

import (
	"bytes"
	"encoding/json"
	"fmt"
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
// k8s.io/api's types. tangle has no autoscaler yet: the values are kept
// for tangle import to print, with a warning that they have no effect.
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
	src := from("spec.minReplicas")
	if hpa.Spec.MinReplicas == nil {
		src = "HorizontalPodAutoscaler spec.minReplicas unset: Kubernetes' default 1"
	}
	b.Autoscaler = append(b.Autoscaler,
		KV{"min_replicas", strconv.Itoa(int(minR)), src},
		KV{"max_replicas", strconv.Itoa(int(hpa.Spec.MaxReplicas)), from("spec.maxReplicas")})
	for i, m := range hpa.Spec.Metrics {
		key := fmt.Sprintf("metrics[%d]", i)
		switch {
		case m.Resource != nil && m.Resource.Target.AverageUtilization != nil:
			b.Autoscaler = append(b.Autoscaler, KV{"target_" + string(m.Resource.Name) + "_utilization", strconv.Itoa(int(*m.Resource.Target.AverageUtilization)) + "%", from("spec." + key)})
		default:
			b.Autoscaler = append(b.Autoscaler, KV{"metric_" + strconv.Itoa(i), string(m.Type), from("spec." + key)})
		}
	}
	// kubernetes pkg/apis/autoscaling/v2 defaults: scaleDown stabilization 300 s.
	down, src := "300s", "HorizontalPodAutoscaler spec.behavior.scaleDown.stabilizationWindowSeconds unset: Kubernetes' default 300 s"
	if bh := hpa.Spec.Behavior; bh != nil && bh.ScaleDown != nil && bh.ScaleDown.StabilizationWindowSeconds != nil {
		down, src = strconv.Itoa(int(*bh.ScaleDown.StabilizationWindowSeconds))+"s", from("spec.behavior.scaleDown.stabilizationWindowSeconds")
	}
	b.Autoscaler = append(b.Autoscaler, KV{"scale_down_stabilization", down, src})
	b.Warnings = append(b.Warnings, Warning{d.pos(d.get("spec")), "spec", "HorizontalPodAutoscaler: tangle has no autoscaler yet, so these values have no effect on a run (tangle import prints them)"})
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
