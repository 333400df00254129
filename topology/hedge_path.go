package topology

// The hedged request path (see hedge.go for the policies and their
// sources). The core path calls in at five points, each only in a world
// with hedging: send (hedgeBegin, hedgeSent, hedgeSendFailed), tryTimeout
// (hedgeTryTimeout), response (hedgeResponse) and end (hedgeEnd). Every
// attempt of a hedged request is on its request's outstanding list from
// send until its result lands or the request ends; a request ends exactly
// once, through end, which resets the attempts still out.

// hedgeBegin starts hedging request ref at its first send from caller.
func (w *World) hedgeBegin(ref Ref, r *Request, caller *Caller) {
	p := w.hedgePolicy(caller)
	if p.Mode == HedgeOff {
		return
	}
	hr := w.hedge.req(ref)
	if hr.on {
		return
	}
	*hr = hedgeReq{on: true, left: int16(min(w.policy(caller).Attempts-1, 1<<14))}
	if p.Mode == HedgeGRPC { // RetriableStream.start: the first copy, and the next one's timer
		hr.sent = 1
		if hr.sent < p.attempts() && w.aboveThreshold(caller, p) {
			hr.timer = w.Eng.At(w.Eng.Now()+p.Delay, ClassRequest, w.hedge.kHedge, uint64(ref))
		}
	}
}

// hedgeSent puts attempt jref (just sent) on its request's outstanding
// list and counts it as a hedge when an earlier attempt is still out.
func (w *World) hedgeSent(ref Ref, r *Request, caller *Caller, jref Ref, j *Job) {
	hr := w.hedge.on(ref)
	if hr == nil {
		return
	}
	if w.hedgePolicy(caller).Mode == HedgeGRPC {
		j.uncounted = true // a copy, not a retry: no Envoy retry limit applies
	}
	*w.hedge.job(jref) = hedgeJob{next: hr.head}
	if hr.out > 0 {
		r.hedges++
		caller.Client.Hedges++
	}
	hr.head = jref
	hr.out++
}

// hedgeSendFailed takes over an attempt of a hedged request that could
// not be sent (no host, a guard refused it): it fails alone while other
// attempts are out (Envoy: an overflow reset waits for them; gRPC: the copy
// closes UNAVAILABLE and the hedging decision applies). It reports whether
// it took the failure over; if not, the request ends as without hedging.
func (w *World) hedgeSendFailed(ref Ref, r *Request, caller *Caller, o Outcome, c Cause) bool {
	hr := w.hedge.on(ref)
	if hr == nil {
		return false
	}
	p := w.hedgePolicy(caller)
	switch p.Mode {
	case HedgeOnPerTryTimeout:
		if hr.out == 0 {
			return false
		}
		w.uncountRetry(r, caller)
		return true
	case HedgeGRPC:
		if !w.grpcWaits(r, caller, p, hr, o, c) {
			w.end(ref, r, o, c)
		}
		return true
	}
	return false
}

// hedgeFire sends a gRPC request's next copy (HedgingRunnable.run): it
// counts the copy, schedules the one after while the policy and the
// throttle allow (else freezes hedging), then sends.
func (w *World) hedgeFire(ref Ref) {
	r := w.reqs.Get(ref)
	if r == nil {
		return
	}
	hr := w.hedge.on(ref)
	if hr == nil {
		return
	}
	hr.timer = 0
	caller := w.Callers[r.Caller]
	p := w.hedgePolicy(caller)
	hr.sent++
	if hr.sent < p.attempts() && !hr.frozen && w.aboveThreshold(caller, p) {
		hr.timer = w.Eng.At(w.Eng.Now()+p.Delay, ClassRequest, w.hedge.kHedge, uint64(ref))
	} else {
		hr.frozen = true
	}
	w.send(ref, r, caller)
}

// hedgeTryTimeout is Envoy's soft per-try timeout (Filter::
// onSoftPerTryTimeout): the attempt stays out, the guards hear a timeout
// (outlier detection's LocalOriginTimeout), and a retry is asked for; if
// granted, the attempt is marked retried. It reports whether it handled
// the timeout (the request hedges on per-try timeouts).
func (w *World) hedgeTryTimeout(ref Ref, j *Job) bool {
	hr := w.hedge.on(j.Req)
	if hr == nil {
		return false
	}
	caller := w.Callers[j.Caller]
	if w.hedgePolicy(caller).Mode != HedgeOnPerTryTimeout {
		return false
	}
	j.tryTimeout = 0
	now := w.Eng.Now()
	host := int(w.Replicas[j.Replica].Index)
	for _, g := range caller.guards {
		g.Observe(now, host, now-j.Sent, Timeout)
	}
	w.hedge.job(ref).observed = true
	req := j.Req
	r := w.reqs.Get(req)
	if r == nil || w.hedge.jobs[ref.idx()].retried {
		return true
	}
	granted := w.envoyRetry(req, r, caller, hr) // may send: j and hr are not used after
	w.hedge.jobs[ref.idx()].retried = granted
	return true
}

// envoyRetry is RetryStateImpl::shouldRetry for a decision to retry with
// back-off: the request's previous retry stops counting against the limit
// (resetRetry), then the retries remaining and the limit or budget are
// checked (an overflow still uses up a retry), and the retry is scheduled
// after its back-off. It reports whether the retry was granted.
func (w *World) envoyRetry(ref Ref, r *Request, caller *Caller, hr *hedgeReq) bool {
	if r.retry != 0 {
		// Not reached: while a retry waits out its back-off every attempt
		// out has had its retry; Envoy keeps one back-off timer per request.
		return false
	}
	w.uncountRetry(r, caller)
	for jr := hr.head; jr != 0; jr = w.hedge.jobs[jr.idx()].next {
		if j := w.jobs.Get(jr); j != nil && j.Attempt > 1 && !j.uncounted {
			j.uncounted = true
			caller.retries--
		}
	}
	if hr.left <= 0 {
		return false // RetryStatus::NoRetryLimitExceeded
	}
	hr.left--
	pol := w.policy(caller)
	if !pol.admits(caller.active, caller.retries) {
		caller.Client.RetriesDenied++ // RetryStatus::NoOverflow
		return false
	}
	caller.retries++
	r.retryCounted = true
	if d := pol.delay(int(r.attempts), caller.rng); d > 0 {
		r.retry = w.Eng.After(d, ClassRequest, w.kRetry, uint64(ref))
	} else {
		w.send(ref, r, caller)
	}
	return true
}

// hedgeResponse takes over the result of an attempt of a hedged request
// reaching its caller; it reports whether the request hedges.
func (w *World) hedgeResponse(ref Ref, j *Job) bool {
	hr := w.hedge.on(j.Req)
	if hr == nil {
		return false
	}
	req, caller, o, c, waited, attempt, replica, cluster := j.Req, w.Callers[j.Caller], j.Outcome, j.Cause, j.Started-j.Reached, j.Attempt, j.Replica, j.Cluster
	retried := w.hedge.jobs[ref.idx()].retried
	w.hedge.unlink(hr, ref)
	w.detachJob(j, o)
	w.jobs.Release(ref.idx())
	r := w.reqs.Get(req)
	if r == nil {
		return true
	}
	p := w.hedgePolicy(caller)
	switch p.Mode {
	case HedgeOnPerTryTimeout:
		pol := w.policy(caller)
		would := o != Success && pol.On.matches(o, c)
		dropped := retried && would // could_not_retry on a retried attempt
		if !retried && would {
			if w.envoyRetry(req, r, caller, hr) {
				return true
			}
			dropped = true // retries exhausted or refused
		}
		reset := o == Dropped && c == CauseHostDown // onUpstreamReset, not headers
		if (dropped || reset) && (hr.out > 0 || r.retry != 0) {
			return true // wait for the other attempts
		}
	case HedgeGRPC:
		if w.grpcWaits(r, caller, p, hr, o, c) {
			return true
		}
		if o == Success {
			w.throttleSuccess(caller, p)
		}
	}
	r.won, r.Replica, r.Cluster = attempt, replica, cluster // the answering attempt's, not the latest's
	if o == Success || o == Error {
		r.Waited = waited
		for _, l := range w.hooks.answerers {
			l.Answered(ref, r)
		}
	}
	w.end(req, r, o, c)
	return true
}

// grpcWaits is gRPC's decision on a copy that closed with o (cause c)
// before any copy committed (Sublistener.closed → makeHedgingDecision): a
// non-fatal status the throttle accepts waits while more copies may come
// or others are out; a success, a fatal status or a throttled one commits.
func (w *World) grpcWaits(r *Request, caller *Caller, p *HedgePolicy, hr *hedgeReq, o Outcome, c Cause) bool {
	if o == Success || !p.NonFatal.has(grpcStatus(o, c)) {
		return false
	}
	if !w.qualifiedFailure(caller, p) {
		return false
	}
	return (hr.sent < p.attempts() && !hr.frozen) || hr.out > 0
}

// hedgeEnd resets the attempts still out when a hedged request ends with
// outcome o: they are detached without their caller hearing of them
// (Envoy's resetStream, gRPC's cancel), except that when the request timed
// out each one whose timeout was not yet reported is reported to the
// guards, as Filter::onResponseTimeout does; their replicas may keep
// working on them. A pending copy timer or retry is cancelled.
func (w *World) hedgeEnd(ref Ref, o Outcome) {
	hr := w.hedge.on(ref)
	if hr == nil {
		return
	}
	if hr.timer != 0 {
		w.Eng.Cancel(hr.timer)
	}
	if r := w.reqs.Get(ref); r != nil { // a retry waiting out its back-off goes too (Filter::cleanup)
		if r.retry != 0 {
			w.Eng.Cancel(r.retry)
			r.retry = 0
		}
		w.uncountRetry(r, w.Callers[r.Caller])
	}
	for jr := hr.head; jr != 0; jr = w.hedge.jobs[jr.idx()].next {
		j := w.jobs.Get(jr)
		if j == nil || j.detached {
			continue
		}
		j.cancelled = o != Timeout || w.hedge.jobs[jr.idx()].observed
		w.detachJob(j, Timeout)
		if j.landed {
			w.jobs.Release(jr.idx())
		}
	}
	*hr = hedgeReq{}
}
