package reports

// AuditDoc is one entry of a run's decision audit trail: a decision engine,
// controller or reconciler (the actor) read some signals (the inputs, each
// with its age when read), decided something, and the decision had an
// outcome (applied, rejected by policy, superseded, …). The HTML report
// shows the first rows of each strategy's trail.
type AuditDoc struct {
	TimeS    Float        `json:"time_s"`   // when the decision was made, seconds into the run
	Actor    string       `json:"actor"`    // identity of the decider, e.g. "controller/edge-1"
	Decision string       `json:"decision"` // what it decided, as text, e.g. "weights east=0.7 west=0.3"
	Inputs   []AuditInput `json:"inputs"`
	Outcome  string       `json:"outcome"`          // e.g. applied, rejected, rate-limited
	Detail   string       `json:"detail,omitempty"` // why, when the outcome needs a reason
}

// AuditInput is one signal a decision read, and how old it was.
type AuditInput struct {
	Signal string `json:"signal"` // e.g. "load/api-3"
	Value  Float  `json:"value"`
	AgeS   Float  `json:"age_s"` // seconds between the measurement and the decision
}
