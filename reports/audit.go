package reports

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/topology/routectl"
)

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
	Scope    string       `json:"scope,omitempty"`  // what it routed, e.g. "users/edge"
	Outcome  string       `json:"outcome"`          // e.g. applied, rejected, rate-limited
	Detail   string       `json:"detail,omitempty"` // why, when the outcome needs a reason
}

// AuditInput is one signal a decision read, and how old it was.
type AuditInput struct {
	Signal string `json:"signal"` // e.g. "load/api-3"
	Value  Float  `json:"value"`
	AgeS   Float  `json:"age_s"` // seconds between the measurement and the decision
}

func auditDoc(a routectl.AuditEntry) AuditDoc {
	d := AuditDoc{TimeS: Float(a.At.Seconds()), Actor: a.Actor, Scope: a.Scope, Decision: a.Decision, Outcome: a.Outcome, Detail: a.Detail, Inputs: []AuditInput{}}
	for _, in := range a.Inputs {
		d.Inputs = append(d.Inputs, AuditInput{Signal: in.Signal, Value: Float(in.Value), AgeS: Float(in.Age.Seconds())})
	}
	return d
}

// AuditLine is one line of the JSONL audit trail: an entry with the run it
// belongs to.
type AuditLine struct {
	Strategy    string `json:"strategy"`
	Replication int    `json:"replication"`
	AuditDoc
}

// WriteAuditJSONL writes every run's audit trail as JSON lines, strategy
// by strategy, replication by replication, each in time order.
func WriteAuditJSONL(w io.Writer, res *scenarios.Result) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, s := range res.Strategies {
		for r, run := range s.Runs {
			for _, a := range run.Audit {
				if err := enc.Encode(AuditLine{Strategy: s.Name, Replication: r, AuditDoc: auditDoc(a)}); err != nil {
					return err
				}
			}
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
