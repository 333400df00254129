package topology

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
)

// Operations. A service may serve several kinds of request (GET /cart,
// POST /checkout), each with its own share of the requests, service time
// and calls: ServiceSpec.Operations. Every request asks for one operation
// of the service that serves it: the one its client or call names, or one
// drawn by the operations' weights when it names none (from the client's
// or the call edge's own stream, so a world whose services have no
// operations draws nothing new). Retries and hedges of a request ask for
// the same operation. An edge gateway serves every operation of its target
// alike and passes the request's operation on.

// Operation is one kind of request a service serves.
type Operation struct {
	Name string
	// Weight is its share of the requests that name no operation, relative
	// to the other operations' weights; ≥ 0, and some operation's > 0.
	Weight float64
	// ServiceTime is its own work per request; nil means the service's.
	ServiceTime sim.Dist
	// Calls are what a replica calls for it once its own work is done,
	// as ServiceSpec.Calls (which a service with operations leaves empty).
	Calls []Step
}

// NoOp is Request.Op when no operation was asked for: the target has no
// operations, or it is an edge and the client named none.
const NoOp = -1

// maxOperations bounds a service's operations (a request's int16).
const maxOperations = math.MaxInt16

// validateOperations reports the first impossible operation of s.
func (s ServiceSpec) validateOperations() error {
	if len(s.Operations) == 0 {
		return nil
	}
	if len(s.Operations) > maxOperations {
		return fmt.Errorf("service %s: at most %d operations, got %d", s.Name, maxOperations, len(s.Operations))
	}
	if len(s.Calls) > 0 {
		return fmt.Errorf("service %s: with operations, calls belong to each operation, not to the service", s.Name)
	}
	seen := make(map[string]bool, len(s.Operations))
	sum := 0.0
	for _, o := range s.Operations {
		switch {
		case o.Name == "":
			return fmt.Errorf("service %s: an operation has no name", s.Name)
		case seen[o.Name]:
			return fmt.Errorf("service %s: operation %q is declared twice", s.Name, o.Name)
		case !(o.Weight >= 0) || math.IsInf(o.Weight, 1):
			return fmt.Errorf("service %s: operation %s: weight must be finite and ≥ 0, got %g", s.Name, o.Name, o.Weight)
		}
		seen[o.Name] = true
		sum += o.Weight
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return fmt.Errorf("service %s: the operations' weights must add up to a finite number > 0, got %g", s.Name, sum)
	}
	return nil
}

// operation returns the index of s's operation name, or an error naming
// the ones there are.
func (s *Service) operation(name string) (int16, error) {
	for i, o := range s.Spec.Operations {
		if o.Name == name {
			return int16(i), nil
		}
	}
	if len(s.Spec.Operations) == 0 {
		return 0, fmt.Errorf("service %s has no operations, so none can be named (%q)", s.Name, name)
	}
	names := make([]string, len(s.Spec.Operations))
	for i, o := range s.Spec.Operations {
		names[i] = o.Name
	}
	return 0, fmt.Errorf("service %s has no operation %q (it has %v)", s.Name, name, names)
}

// initOperations prepares s's cumulative weights.
func (s *Service) initOperations() {
	ops := s.Spec.Operations
	if len(ops) == 0 {
		return
	}
	sum := 0.0
	for _, o := range ops {
		sum += o.Weight
	}
	s.opCum = make([]float64, len(ops))
	acc := 0.0
	for i, o := range ops {
		acc += o.Weight
		s.opCum[i] = acc / sum
	}
	s.opCum[len(ops)-1] = 1
}

// drawOperation returns an operation of s drawn by weight from rng, or
// NoOp when s has none (rng is not touched then).
func (s *Service) drawOperation(rng *rand.Rand) int16 {
	if len(s.opCum) == 0 {
		return NoOp
	}
	u := rng.Float64()
	for i, c := range s.opCum {
		if u < c {
			return int16(i)
		}
	}
	return int16(len(s.opCum) - 1)
}

// serviceTime is the distribution of the work of a request for operation
// op of s.
func (s *Service) serviceTime(op int16) sim.Dist {
	if op >= 0 && int(op) < len(s.Spec.Operations) {
		if d := s.Spec.Operations[op].ServiceTime; d != nil {
			return d
		}
	}
	return s.Spec.ServiceTime
}

// resolveClientOperation sets client c's operation: the one it names, at
// its target or, entering through an edge, at the edge's target.
func (w *World) resolveClientOperation(c *Client, spec Spec) error {
	c.op = NoOp
	svc := c.Target
	if svc.Edge {
		svc = w.Services[spec.Services[svc.ID].Calls[0][0].Service]
	}
	if c.Spec.Operation != "" {
		op, err := svc.operation(c.Spec.Operation)
		if err != nil {
			return fmt.Errorf("client %s: %w", c.Name, err)
		}
		c.op = op
		return nil
	}
	if len(c.Target.Spec.Operations) > 0 {
		c.ops = sim.NewStream(w.Seed, "operations/"+c.Name)
	}
	return nil
}

// requestOperation is the operation a new request of client c asks for.
func (c *Client) requestOperation() int16 {
	if c.op >= 0 || c.ops == nil {
		return c.op
	}
	return c.Target.drawOperation(c.ops)
}
