package topology

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/sim"
)

// Hedged requests: a request with several attempts out at once, the first
// good answer winning. Two policies, each as its real system's code runs it
// (hedge_path.go holds the request-path side):
//
//   - Envoy (HedgeOnPerTryTimeout, route HedgePolicy.hedge_on_per_try_timeout):
//     when an attempt's per-try timeout fires the attempt is not reset;
//     Filter::onSoftPerTryTimeout (source/common/router/router.cc) reports the
//     timeout to outlier detection and asks RetryStateImpl::
//     shouldHedgeRetryPerTryTimeout for a retry, which is granted whatever
//     retry_on says if retries remain and the retry limit or budget admits
//     it, and is sent after the usual jittered back-off
//     (RetryDecision::RetryWithBackoff → enableBackoffTimer). The timed-out
//     attempt is marked retried and is never retried again; a bad answer on it
//     is dropped while other attempts are out or a retry is pending
//     (Filter::onUpstreamHeaders could_not_retry, Filter::onUpstreamReset);
//     the first answer that is not dropped wins and every other attempt is
//     reset (Filter::resetOtherUpstreams). Tests: test/common/router/
//     router_test.cc HedgedPerTryTimeoutFirstRequestSucceeds,
//     HedgedPerTryTimeoutResetsOnBadHeaders,
//     HedgedPerTryTimeoutThirdRequestSucceeds. HedgePolicy.initial_requests
//     and additional_request_chance exist in route_components.proto but are
//     marked [#not-implemented-hide:]: the router reads only
//     hedgeOnPerTryTimeout(), so tangle has neither.
//   - gRPC (HedgeGRPC, gRFC A6 hedgingPolicy): grpc-go does not implement
//     hedging (its service config has no hedgingPolicy: grpc/grpc-go#2823), so
//     the running code followed is grpc-java's io.grpc.internal.
//     RetriableStream: the first copy goes at once and, while fewer than
//     maxAttempts have gone and the retry throttle is above its threshold, one
//     more every hedgingDelay (HedgingRunnable); the first response with
//     headers commits and the other copies are cancelled; a copy that closes
//     with a fatal status (not in nonFatalStatusCodes) or that the throttle
//     refuses commits that status at once; a non-fatal close waits for the
//     others (makeHedgingDecision, Sublistener.closed). maxAttempts ≥ 2 is
//     capped at 5 (ManagedChannelServiceConfig.MethodInfo.hedgingPolicy,
//     maxHedgedAttempts 5 by default); hedgingDelay is required by
//     grpc-java's parser (A6 calls it optional, default 0s). A method has a
//     retryPolicy or a hedgingPolicy, not both.
//
// A cancelled attempt is detached like one whose per-try timeout fired: its
// replica keeps working on it (wasted work) unless deadlines are
// propagated, in which case a replica that has not started it starts no
// work for it, as a gRPC server hears the RST_STREAM.

// HedgeMode says whether and how a caller hedges.
type HedgeMode uint8

const (
	HedgeOff             HedgeMode = iota // no hedging (the default)
	HedgeOnPerTryTimeout                  // Envoy: a per-try timeout sends a retry without resetting the attempt
	HedgeGRPC                             // gRPC hedgingPolicy: copies every hedging delay, up to max attempts
)

var hedgeModeNames = [...]string{"off", "envoy", "grpc"}

func (m HedgeMode) String() string {
	if int(m) < len(hedgeModeNames) {
		return hedgeModeNames[m]
	}
	return "hedge(?)"
}

// MaxHedgedAttempts caps a gRPC hedging policy's attempts: grpc-java's
// ManagedChannelImplBuilder.maxHedgedAttempts default (5), applied by
// ManagedChannelServiceConfig.MethodInfo.hedgingPolicy as
// min(maxAttempts, limit).
const MaxHedgedAttempts = 5

// HedgePolicy is how a caller hedges. With HedgeOnPerTryTimeout the
// caller's RetryPolicy says how many retries, after which back-off and
// under which budget; it must have a per-try timeout. With HedgeGRPC the
// caller must not retry (attempts 1, no per-try timeout).
type HedgePolicy struct {
	Mode HedgeMode
	// MaxAttempts is gRPC's maxAttempts: copies sent, the first included
	// (at least 2; above MaxHedgedAttempts counts as MaxHedgedAttempts).
	MaxAttempts int
	// Delay is gRPC's hedgingDelay: the time between copies.
	Delay sim.Time
	// NonFatal is gRPC's nonFatalStatusCodes: statuses on which the call
	// waits for the other copies rather than ending.
	NonFatal GRPCCodes
	// MaxTokens and TokenRatio are gRPC's retryThrottling (per sidecar, as
	// grpc keeps one token count per channel target): tokens start at
	// MaxTokens, a copy that closes with a non-fatal status takes one, a
	// committed success gives back TokenRatio; at or below MaxTokens/2 no
	// copy is sent. MaxTokens 0: no throttling.
	MaxTokens, TokenRatio float64
}

// Validate reports impossible settings.
func (p HedgePolicy) Validate() error {
	switch {
	case p.Mode > HedgeGRPC:
		return fmt.Errorf("hedging: unknown mode %d", p.Mode)
	case p.Mode != HedgeGRPC:
		return nil
	case p.MaxAttempts < 2:
		return fmt.Errorf("hedging: max_attempts must be greater than 1, got %d", p.MaxAttempts)
	case p.Delay < 0:
		return fmt.Errorf("hedging: hedging_delay must not be negative")
	case p.NonFatal&1 != 0:
		return fmt.Errorf("hedging: non_fatal_status_codes must not contain OK")
	case !(p.MaxTokens >= 0 && p.MaxTokens <= 1000):
		return fmt.Errorf("hedging: max_tokens must be in (0, 1000], got %g", p.MaxTokens)
	case p.MaxTokens > 0 && !(p.TokenRatio > 0):
		return fmt.Errorf("hedging: token_ratio must be greater than 0 with max_tokens")
	}
	return nil
}

// attempts is the number of copies a gRPC policy sends at most.
func (p *HedgePolicy) attempts() int16 { return int16(min(p.MaxAttempts, MaxHedgedAttempts)) }

// checkWith reports a hedge policy that cannot work with retry policy r.
func (p HedgePolicy) checkWith(r *RetryPolicy) error {
	switch p.Mode {
	case HedgeOnPerTryTimeout:
		if r.PerTryTimeout <= 0 {
			return fmt.Errorf("hedging on the per-try timeout needs a retry policy with a per-try timeout")
		}
	case HedgeGRPC:
		if r.Attempts > 1 || r.PerTryTimeout > 0 {
			return fmt.Errorf("a gRPC hedging policy excludes a retry policy (gRFC A6: a method has one or the other)")
		}
	}
	return nil
}

// GRPCCodes is a set of gRPC status codes: bit n is code n.
type GRPCCodes uint32

// The gRPC status codes, in number order (grpc/doc/statuscodes.md).
var grpcCodeNames = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

const (
	grpcUnknown          = 2
	grpcDeadlineExceeded = 4
	grpcUnavailable      = 14
)

// ParseGRPCCodes parses a comma-separated list of gRPC status codes, by
// name (any case) or number, as service configs write them.
func ParseGRPCCodes(s string) (GRPCCodes, error) {
	var set GRPCCodes
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code := -1
		if n, err := strconv.Atoi(part); err == nil && n >= 0 && n < len(grpcCodeNames) {
			code = n
		}
		for i, name := range grpcCodeNames {
			if strings.EqualFold(part, name) {
				code = i
			}
		}
		if code < 0 {
			return 0, fmt.Errorf("unknown gRPC status code %q (want names such as UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, or numbers 0–16)", part)
		}
		set |= 1 << code
	}
	return set, nil
}

// String lists the codes by name, in number order.
func (s GRPCCodes) String() string {
	var names []string
	for i, n := range grpcCodeNames {
		if s&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// has reports whether code is in the set.
func (s GRPCCodes) has(code int) bool { return s&(1<<code) != 0 }

// grpcStatus is the gRPC status a client sees for an attempt that ended
// with o (cause c): a server error is an HTTP 500, which gRPC maps to
// UNKNOWN; refusals, resets, missing hosts and open breakers are
// UNAVAILABLE (503 and connection failures); a deadline is
// DEADLINE_EXCEEDED (grpc/doc/http-grpc-status-mapping.md).
func grpcStatus(o Outcome, c Cause) int {
	switch {
	case o == Success:
		return 0
	case o == Timeout:
		return grpcDeadlineExceeded
	case o == Error && c != CauseDataUnavailable:
		return grpcUnknown
	}
	return grpcUnavailable
}

// hedging is the world's hedging state: per request slot and per attempt
// slot, beside the core's arenas. Nil in a world where no caller hedges.
type hedging struct {
	reqs   []hedgeReq
	jobs   []hedgeJob
	spent  []int32 // per caller ID, grown on demand: gRPC throttle tokens taken × 1000 (grpc-java counts thousandths)
	kHedge sim.Kind
}

// hedgeReq is one request's hedging.
type hedgeReq struct {
	on     bool
	head   Ref         // its latest outstanding attempt; older ones chain through hedgeJob.next
	out    int16       // outstanding attempts
	left   int16       // Envoy: retries remaining (RetryStateImpl retries_remaining_)
	sent   int16       // gRPC: copies sent (hedgingAttemptCount)
	frozen bool        // gRPC: no more copies
	timer  sim.EventID // gRPC: the next copy
}

// hedgeJob is one outstanding attempt's hedging.
type hedgeJob struct {
	next     Ref  // the request's next older outstanding attempt
	retried  bool // Envoy: its per-try timeout sent a hedge (upstream_request.retried())
	observed bool // its timeout was already reported to the guards
}

// startHedging checks every caller's hedge policy against its retry
// policy and, when any caller hedges, sets up the hedging state.
func (w *World) startHedging() error {
	any := false
	for _, c := range w.Callers {
		p := w.hedgePolicy(c)
		if err := p.Validate(); err != nil {
			return fmt.Errorf("callers of %s: %w", c.Client.Name, err)
		}
		if p.Mode == HedgeOff {
			continue
		}
		if err := p.checkWith(w.policy(c)); err != nil {
			return fmt.Errorf("callers of %s: %w", c.Client.Name, err)
		}
		any = true
	}
	if !any {
		return nil
	}
	h := &hedging{}
	h.kHedge = w.Eng.Handle("caller.hedge", func(a uint64) { w.hedgeFire(Ref(a)) })
	w.hedge = h
	return nil
}

// hedgePolicy is the hedge policy caller c applies.
func (w *World) hedgePolicy(c *Caller) *HedgePolicy {
	if c.hedge != nil {
		return c.hedge
	}
	return &w.routing.Hedge
}

// Hedging reports whether any caller of the world hedges.
func (w *World) Hedging() bool { return w.hedge != nil }

// req is the hedging entry of request slot ref, grown on demand.
func (h *hedging) req(ref Ref) *hedgeReq {
	i := int(ref.idx())
	for i >= len(h.reqs) {
		h.reqs = append(h.reqs, hedgeReq{})
	}
	return &h.reqs[i]
}

// job is the hedging entry of attempt slot ref, grown on demand.
func (h *hedging) job(ref Ref) *hedgeJob {
	i := int(ref.idx())
	for i >= len(h.jobs) {
		h.jobs = append(h.jobs, hedgeJob{})
	}
	return &h.jobs[i]
}

// on is the hedging entry of a hedged request, or nil.
func (h *hedging) on(ref Ref) *hedgeReq {
	if int(ref.idx()) >= len(h.reqs) || !h.reqs[ref.idx()].on {
		return nil
	}
	return &h.reqs[ref.idx()]
}

// unlink removes attempt jref from hr's outstanding attempts.
func (h *hedging) unlink(hr *hedgeReq, jref Ref) {
	for p := &hr.head; *p != 0; p = &h.jobs[p.idx()].next {
		if *p == jref {
			*p = h.jobs[jref.idx()].next
			hr.out--
			return
		}
	}
}

// tokens is caller's gRPC throttle token count × 1000 (it starts full)
// and its maximum.
func (w *World) tokens(caller *Caller, p *HedgePolicy) (*int32, int32) {
	for int(caller.ID) >= len(w.hedge.spent) {
		w.hedge.spent = append(w.hedge.spent, 0)
	}
	return &w.hedge.spent[caller.ID], int32(p.MaxTokens * 1000)
}

// aboveThreshold reports whether caller's gRPC throttle lets a copy go
// (RetriableStream.Throttle.isAboveThreshold: tokens > maxTokens/2);
// always without throttling.
func (w *World) aboveThreshold(caller *Caller, p *HedgePolicy) bool {
	if p.MaxTokens == 0 {
		return true
	}
	spent, full := w.tokens(caller, p)
	return full-*spent > full/2
}

// qualifiedFailure takes a token for a non-fatal close and reports
// whether the throttle is still above its threshold
// (Throttle.onQualifiedFailureThenCheckIsAboveThreshold).
func (w *World) qualifiedFailure(caller *Caller, p *HedgePolicy) bool {
	if p.MaxTokens == 0 {
		return true
	}
	spent, full := w.tokens(caller, p)
	if *spent == full {
		return false
	}
	*spent = min(*spent+1000, full)
	return full-*spent > full/2
}

// throttleSuccess gives a committed success's tokens back
// (Throttle.onSuccess), up to the maximum.
func (w *World) throttleSuccess(caller *Caller, p *HedgePolicy) {
	if p.MaxTokens == 0 {
		return
	}
	spent, _ := w.tokens(caller, p)
	*spent = max(*spent-int32(p.TokenRatio*1000), 0)
}
