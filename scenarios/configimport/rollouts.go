package configimport

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// flaggerCanary is the part of a Flagger Canary (flagger.app/v1beta1) that
// tangle reads, after Flagger's documented schema (fluxcd/flagger
// docs/gitbook/usage/how-it-works.md, pkg/apis/flagger/v1beta1/canary.go
// CanaryAnalysis). Flagger publishes no light Go module of its own types.
type flaggerCanary struct {
	Spec struct {
		Analysis *struct {
			Interval    string `json:"interval"`
			Threshold   *int   `json:"threshold"`
			MaxWeight   *int   `json:"maxWeight"`
			StepWeight  *int   `json:"stepWeight"`
			StepWeights []int  `json:"stepWeights"`
			Iterations  *int   `json:"iterations"`
			Metrics     []struct {
				Name           string `json:"name"`
				ThresholdRange *struct {
					Min *float64 `json:"min"`
					Max *float64 `json:"max"`
				} `json:"thresholdRange"`
			} `json:"metrics"`
		} `json:"analysis"`
	} `json:"spec"`
}

// importCanary maps a Flagger Canary's analysis onto the flagger rollout.
func importCanary(b *Block, d doc) error {
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var c flaggerCanary
	if err := json.Unmarshal(js, &c); err != nil {
		return decodeError(d, "Flagger Canary", err)
	}
	a := c.Spec.Analysis
	if a == nil {
		return &Error{d.pos(d.get("spec")), "Flagger Canary: spec.analysis is required"}
	}
	if a.Iterations != nil {
		return &Error{d.pos(d.get("spec.analysis.iterations")), "spec.analysis.iterations (Flagger's A/B testing and Blue/Green) is not modelled; tangle's flagger rollout is progressive traffic shifting (stepWeight, maxWeight)"}
	}
	b.Formats = append(b.Formats, "Flagger Canary")
	from := func(path string) string { return d.from("Canary", "spec.analysis."+path) }
	ro := &Plug{Kind: "flagger", From: d.from("Canary", "spec.analysis")}
	if a.Interval != "" {
		dd, err := time.ParseDuration(a.Interval)
		if err != nil {
			return &Error{d.pos(d.get("spec.analysis.interval")), fmt.Sprintf("spec.analysis.interval: %v", err)}
		}
		ro.Params = append(ro.Params, KV{"interval", dd.String(), from("interval")})
	}
	if a.Threshold != nil {
		ro.Params = append(ro.Params, KV{"threshold", strconv.Itoa(*a.Threshold), from("threshold")})
	}
	if a.StepWeight != nil {
		ro.Params = append(ro.Params, KV{"step_weight", strconv.Itoa(*a.StepWeight) + "%", from("stepWeight")})
	}
	if a.MaxWeight != nil {
		ro.Params = append(ro.Params, KV{"max_weight", strconv.Itoa(*a.MaxWeight) + "%", from("maxWeight")})
	}
	var modelled []string
	for i, m := range a.Metrics {
		base := fmt.Sprintf("spec.analysis.metrics[%d]", i)
		switch {
		case m.Name == "request-success-rate" && m.ThresholdRange != nil && m.ThresholdRange.Min != nil:
			ro.Params = append(ro.Params, KV{"min_success", num(*m.ThresholdRange.Min) + "%", d.from("Canary", base) + " request-success-rate thresholdRange.min"})
			modelled = append(modelled, base+".name", base+".thresholdRange.min")
		case m.Name == "request-duration" && m.ThresholdRange != nil && m.ThresholdRange.Max != nil:
			ro.Params = append(ro.Params, KV{"max_p99", num(*m.ThresholdRange.Max) + "ms", d.from("Canary", base) + " request-duration thresholdRange.max (p99, milliseconds)"})
			modelled = append(modelled, base+".name", base+".thresholdRange.max")
		}
	}
	b.Rollout = ro
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: append(modelled, "spec.analysis.interval", "spec.analysis.threshold", "spec.analysis.stepWeight", "spec.analysis.maxWeight"),
		identity: []string{"apiVersion", "kind", "metadata", "spec.targetRef", "spec.service"},
		whole:    []string{"spec.analysis.webhooks", "spec.analysis.alerts", "spec.autoscalerRef"},
		msg: func(p string) string {
			switch {
			case p == "spec.analysis.webhooks":
				return "not modelled: tangle runs no webhooks (load tests, gates, rollback hooks)"
			case p == "spec.analysis.stepWeights":
				return "not modelled: tangle's flagger rollout steps by a constant stepWeight"
			case strings.HasPrefix(p, "spec.analysis.metrics"):
				return "not modelled: tangle gates on the builtin request-success-rate (min) and request-duration (max)"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}

// argoRollout is the part of an Argo Rollout (argoproj.io/v1alpha1) that
// tangle reads, after its documented schema (argoproj/argo-rollouts
// docs/features/canary.md, bluegreen.md; pkg/apis/rollouts/v1alpha1
// types.go CanaryStep, RolloutPause, BlueGreenStrategy).
type argoRollout struct {
	Spec struct {
		Strategy struct {
			Canary *struct {
				Steps []struct {
					SetWeight *int `json:"setWeight"`
					Pause     *struct {
						Duration json.RawMessage `json:"duration"`
					} `json:"pause"`
				} `json:"steps"`
			} `json:"canary"`
			BlueGreen *struct {
				AutoPromotionSeconds  *int `json:"autoPromotionSeconds"`
				ScaleDownDelaySeconds *int `json:"scaleDownDelaySeconds"`
			} `json:"blueGreen"`
		} `json:"strategy"`
	} `json:"spec"`
}

// argoDuration reads a pause duration as Argo does: an integer of seconds
// or a string with a unit s, m or h (rollouts v1alpha1 DurationString).
func argoDuration(raw json.RawMessage) (string, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return strconv.Itoa(n) + "s", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("expected seconds or a duration such as 30s, 5m or 1h, got %s", raw)
	}
	if _, err := strconv.Atoi(s); err == nil {
		return s + "s", nil
	}
	dd, err := time.ParseDuration(s)
	if err != nil || !strings.ContainsAny(s[len(s)-1:], "smh") {
		return "", fmt.Errorf("expected seconds or a duration such as 30s, 5m or 1h, got %q", s)
	}
	return dd.String(), nil
}

// importRollout maps an Argo Rollout's canary steps onto argo-canary, or
// its blueGreen strategy onto blue-green.
func importRollout(b *Block, d doc) error {
	js, err := d.json(nil)
	if err != nil {
		return &Error{d.pos(nil), err.Error()}
	}
	var r argoRollout
	if err := json.Unmarshal(js, &r); err != nil {
		return decodeError(d, "Argo Rollout", err)
	}
	b.Formats = append(b.Formats, "Argo Rollout")
	var modelled []string
	switch {
	case r.Spec.Strategy.Canary != nil:
		var steps []string
		for i, s := range r.Spec.Strategy.Canary.Steps {
			base := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
			switch {
			case s.SetWeight != nil:
				steps = append(steps, strconv.Itoa(*s.SetWeight)+"%")
				modelled = append(modelled, base+".setWeight")
			case s.Pause != nil && len(s.Pause.Duration) > 0:
				dd, err := argoDuration(s.Pause.Duration)
				if err != nil {
					return &Error{keyPos(d, "duration"), base + ".pause.duration: " + err.Error()}
				}
				steps = append(steps, "pause "+dd)
				modelled = append(modelled, base+".pause")
			case s.Pause != nil:
				b.Warnings = append(b.Warnings, Warning{d.pos(d.get(base + ".pause")), base + ".pause", "an indefinite pause waits for a person to promote: not modelled, left out of the steps"})
				modelled = append(modelled, base+".pause")
			}
		}
		ro := &Plug{Kind: "argo-canary", From: d.from("Rollout", "spec.strategy.canary")}
		if len(steps) > 0 {
			ro.Params = append(ro.Params, KV{"steps", strings.Join(steps, ", "), d.from("Rollout", "spec.strategy.canary.steps")})
		}
		b.Rollout = ro
	case r.Spec.Strategy.BlueGreen != nil:
		bg := r.Spec.Strategy.BlueGreen
		ro := &Plug{Kind: "blue-green", From: d.from("Rollout", "spec.strategy.blueGreen")}
		if bg.AutoPromotionSeconds != nil {
			ro.Params = append(ro.Params, KV{"auto_promotion", strconv.Itoa(*bg.AutoPromotionSeconds) + "s", d.from("Rollout", "spec.strategy.blueGreen.autoPromotionSeconds")})
		}
		if bg.ScaleDownDelaySeconds != nil {
			ro.Params = append(ro.Params, KV{"scale_down_delay", strconv.Itoa(*bg.ScaleDownDelaySeconds) + "s", d.from("Rollout", "spec.strategy.blueGreen.scaleDownDelaySeconds")})
		}
		modelled = append(modelled, "spec.strategy.blueGreen.autoPromotionSeconds", "spec.strategy.blueGreen.scaleDownDelaySeconds")
		b.Rollout = ro
	default:
		return &Error{d.pos(d.get("spec.strategy")), "Argo Rollout: spec.strategy needs canary or blueGreen"}
	}
	warnUnmodelled(b, d, d.root, "", fields{
		modelled: modelled,
		identity: []string{"apiVersion", "kind", "metadata", "spec.selector", "spec.strategy.blueGreen.activeService", "spec.strategy.blueGreen.previewService", "spec.strategy.canary.canaryService", "spec.strategy.canary.stableService", "spec.strategy.canary.trafficRouting"},
		whole:    []string{"spec.template"},
		msg: func(p string) string {
			switch p {
			case "spec.template":
				return "not modelled: the scenario's service describes the pods"
			case "spec.replicas":
				return "not modelled as a strategy parameter: the scenario's topology sets the service's replicas"
			}
			if strings.Contains(p, ".steps[") {
				return "not modelled: tangle's argo-canary steps are setWeight and pause"
			}
			return "not modelled by tangle; ignored"
		},
	})
	return nil
}
