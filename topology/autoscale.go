package topology

import (
	"fmt"

	"github.com/tangle-sim/tangle/sim"
)

// Autoscaler decides how many replicas a service should have: the plug
// point of control loops such as Kubernetes' HPA and Knative's KPA
// (strategies implements them). It is called every Interval with what the
// loop measured and returns the desired count; the loop applies it.
type Autoscaler interface {
	// Interval is the sync period; 0 means the autoscaler never runs (a
	// fixed count).
	Interval() sim.Time
	// Scale returns the desired replica count given v. v and its Pods are
	// valid only during the call.
	Scale(v *ScaleView) int
}

// ScaleView is what an autoscaler observes at one sync.
type ScaleView struct {
	Now     sim.Time
	Current int // the count last set: pods ready or starting (a Deployment's spec.replicas)
	Ready   int // pods ready (routable)
	Max     int // the pool: the most replicas the service can have
	// Concurrency is a pod's service slots (Knative's containerConcurrency).
	Concurrency int
	// Pods are the pods counted in Current, ready ones and starting ones,
	// in pool order.
	Pods []PodSample
	// Buffered is the number of requests waiting at the service's
	// activator for a replica (activator.go; 0 without one): demand the
	// pods do not see.
	Buffered int
}

// PodSample is one pod as the autoscaler's metrics pipeline sees it.
type PodSample struct {
	Ready      bool
	Created    sim.Time // when the pod was created (the start of the run for initial pods)
	ReadySince sim.Time // when it became ready (valid when Ready)
	// Utilization is the mean fraction of the pod's service slots busy
	// over Window (a CPU utilisation of its request); InFlight the mean
	// number of requests at the pod (in service and queued: what
	// Knative's queue-proxy reports as concurrency) over Window.
	Utilization, InFlight float64
	// Window is the span the averages cover: the time since the previous
	// sync, or since the pod became ready if that is later. 0 for a pod
	// not ready.
	Window sim.Time
}

// ScaleConfig is how a service's pods come and go.
type ScaleConfig struct {
	// ReadyAfter is the time from a pod's creation to its readiness
	// (scheduling, container start, the first successful readiness probe).
	ReadyAfter sim.Time
	// ColdFactor and ColdTau start a new pod cold (see World.Warm): its
	// service times are multiplied by 1 + ColdFactor·e^(−t/ColdTau), t the
	// time since it became ready. ColdFactor 0: it starts warm.
	ColdFactor float64
	ColdTau    sim.Time
	// TerminationGrace is how long a pod scaled down may drain its
	// in-flight work before it is killed (terminationGracePeriodSeconds).
	TerminationGrace sim.Time
	// Sample is how often in-flight counts are sampled for InFlight
	// (0: every 100 ms).
	Sample sim.Time
}

type podState uint8

const (
	podAbsent   podState = iota // not created
	podStarting                 // created, not ready yet
	podReady                    // ready, provisioned
	podDraining                 // scaled down, finishing its work
)

// pod is the loop's bookkeeping for one replica of the pool.
type pod struct {
	state      podState
	gen        uint32 // bumped on every change, so stale timers do nothing
	created    sim.Time
	readySince sim.Time
	busyAt     float64 // BusyArea at the last sync
	inSum      float64 // sum of in-flight samples since the last sync
	inN        int
}

// scaleLoop is the control loop of one autoscaled service.
type scaleLoop struct {
	w      *World
	svc    *Service
	a      Autoscaler
	cfg    ScaleConfig
	pods   []pod
	lastAt sim.Time // time of the last sync
	view   ScaleView
	// Changes counts scale events (desired count changes).
	changes int

	kSync, kSample, kReady, kGrace sim.Kind
}

// Autoscale puts service svc under autoscaler a: the first initial
// replicas of its pool are ready from the start, the rest absent. Call it
// before Start; at most once per service.
func (w *World) Autoscale(svc *Service, a Autoscaler, initial int, cfg ScaleConfig) error {
	if initial < 0 || initial > len(svc.Replicas) {
		return fmt.Errorf("service %s: initial replicas must be in [0, %d], got %d", svc.Name, len(svc.Replicas), initial)
	}
	if cfg.ReadyAfter < 0 || cfg.TerminationGrace < 0 || cfg.ColdFactor < 0 || cfg.ColdTau < 0 || cfg.Sample < 0 {
		return fmt.Errorf("service %s: negative autoscaling delay or factor", svc.Name)
	}
	for _, l := range w.hooks.layers {
		if s, ok := l.(*scaleLoop); ok && s.svc == svc {
			return fmt.Errorf("service %s is autoscaled twice", svc.Name)
		}
	}
	if cfg.Sample == 0 {
		cfg.Sample = 100 * sim.Millisecond
	}
	s := &scaleLoop{w: w, svc: svc, a: a, cfg: cfg, pods: make([]pod, len(svc.Replicas))}
	for i, rep := range svc.Replicas {
		if i < initial {
			s.pods[i].state = podReady
			w.SetProvisioned(rep, true)
		} else {
			w.SetProvisioned(rep, false)
		}
	}
	name := "autoscale/" + svc.Name
	s.kSync = w.Eng.Handle(name+".sync", s.sync)
	s.kSample = w.Eng.Handle(name+".sample", s.sample)
	s.kReady = w.Eng.Handle(name+".ready", s.ready)
	s.kGrace = w.Eng.Handle(name+".grace", s.grace)
	if z, ok := a.(ZeroScaler); ok && z.ScaleToZero() {
		act := &activator{loop: s}
		act.kPoke = w.Eng.Handle(name+".poke", act.poke)
		svc.activator = act
	}
	w.Attach(s)
	return nil
}

// Start implements Layer.
func (s *scaleLoop) Start(horizon sim.Time) {
	if iv := s.a.Interval(); iv > 0 {
		s.w.Eng.At(iv, ClassControl, s.kSync, 0)
		s.w.Eng.At(s.cfg.Sample, ClassSignal, s.kSample, 0)
	}
}

// sample adds each pod's in-flight count to its running sums and retires
// drained pods.
func (s *scaleLoop) sample(uint64) {
	for i := range s.pods {
		p := &s.pods[i]
		rep := s.svc.Replicas[i]
		switch p.state {
		case podReady:
			p.inSum += float64(rep.InFlight())
			p.inN++
		case podDraining:
			if rep.InFlight() == 0 {
				s.retire(i)
			}
		}
	}
	if s.w.Eng.Now() < s.w.horizon || s.w.reqs.live > 0 {
		s.w.Eng.After(s.cfg.Sample, ClassSignal, s.kSample, 0)
	}
}

// sync runs the autoscaler once and applies its decision, every period.
func (s *scaleLoop) sync(uint64) {
	s.decide()
	if s.w.Eng.Now()+s.a.Interval() < s.w.horizon || s.w.reqs.live > 0 {
		s.w.Eng.After(s.a.Interval(), ClassControl, s.kSync, 0)
	}
}

// decide runs the autoscaler once and applies its decision.
func (s *scaleLoop) decide() {
	now := s.w.Eng.Now()
	v := &s.view
	v.Now, v.Current, v.Ready, v.Max, v.Concurrency = now, 0, 0, len(s.pods), s.svc.Spec.Concurrency
	v.Buffered = 0
	if a := s.svc.activator; a != nil {
		v.Buffered = a.buffered(s.w)
	}
	v.Pods = v.Pods[:0]
	for i := range s.pods {
		p := &s.pods[i]
		rep := s.svc.Replicas[i]
		switch p.state {
		case podStarting:
			v.Current++
			v.Pods = append(v.Pods, PodSample{Created: p.created})
		case podReady:
			v.Current++
			v.Ready++
			from := max(s.lastAt, p.readySince)
			ps := PodSample{Ready: true, Created: p.created, ReadySince: p.readySince, Window: now - from}
			busy := rep.BusyArea(now)
			if dt := (now - from).Seconds(); dt > 0 {
				ps.Utilization = (busy - p.busyAt) / (dt * float64(s.svc.Spec.Concurrency))
			}
			if p.inN > 0 {
				ps.InFlight = p.inSum / float64(p.inN)
			} else {
				ps.InFlight = float64(rep.InFlight())
			}
			v.Pods = append(v.Pods, ps)
			p.busyAt, p.inSum, p.inN = busy, 0, 0
		}
	}
	s.lastAt = now
	s.apply(s.a.Scale(v))
}

// apply moves the pool to desired pods (ready or starting): new pods are
// created in absent slots (a draining slot is reused only when none is
// absent); pods removed are the starting ones first, then the ready ones
// that became ready last, as a ReplicaSet picks the pods to delete
// (not ready before ready, newer before older).
func (s *scaleLoop) apply(desired int) {
	desired = min(max(desired, 0), len(s.pods))
	cur := 0
	for i := range s.pods {
		if st := s.pods[i].state; st == podStarting || st == podReady {
			cur++
		}
	}
	if desired != cur {
		s.changes++
	}
	now := s.w.Eng.Now()
	for ; cur < desired; cur++ {
		i := s.slot(podAbsent)
		if i < 0 {
			i = s.slot(podDraining)
		}
		p := &s.pods[i]
		p.state, p.created = podStarting, now
		p.gen++
		s.w.Eng.At(now+s.cfg.ReadyAfter, ClassControl, s.kReady, uint64(i)|uint64(p.gen)<<32)
	}
	for ; cur > desired; cur-- {
		victim := s.victim(podStarting)
		if victim < 0 {
			victim = s.victim(podReady)
		}
		p := &s.pods[victim]
		p.gen++
		if p.state == podStarting {
			p.state = podAbsent
			if s.svc.Replicas[victim].InFlight() > 0 { // a reused draining slot still has work
				p.state = podDraining
				s.w.Eng.At(now+s.cfg.TerminationGrace, ClassControl, s.kGrace, uint64(victim)|uint64(p.gen)<<32)
			}
			continue
		}
		p.state = podDraining
		s.w.SetProvisioned(s.svc.Replicas[victim], false)
		if s.svc.Replicas[victim].InFlight() == 0 {
			s.retire(victim)
			continue
		}
		s.w.Eng.At(now+s.cfg.TerminationGrace, ClassControl, s.kGrace, uint64(victim)|uint64(p.gen)<<32)
	}
}

// victim returns the pod in state st (starting or ready) to delete
// first: the one created (starting) or ready (ready) last, the later in
// the pool on ties; -1 when none is in st.
func (s *scaleLoop) victim(st podState) int {
	v := -1
	for i := range s.pods {
		p := &s.pods[i]
		if p.state != st {
			continue
		}
		if v < 0 || st == podStarting && p.created >= s.pods[v].created || st == podReady && p.readySince >= s.pods[v].readySince {
			v = i
		}
	}
	return v
}

// slot returns the first pod of the pool in state st, or -1.
func (s *scaleLoop) slot(st podState) int {
	for i := range s.pods {
		if s.pods[i].state == st {
			return i
		}
	}
	return -1
}

// ready is a starting pod passing its readiness probe: it joins the
// endpoints, cold.
func (s *scaleLoop) ready(arg uint64) {
	i, gen := int(uint32(arg)), uint32(arg>>32)
	p := &s.pods[i]
	if p.gen != gen || p.state != podStarting {
		return
	}
	rep := s.svc.Replicas[i]
	now := s.w.Eng.Now()
	p.state, p.readySince = podReady, now
	p.busyAt, p.inSum, p.inN = rep.BusyArea(now), 0, 0
	s.w.SetProvisioned(rep, true)
	if s.cfg.ColdFactor > 0 && s.cfg.ColdTau > 0 {
		s.w.Warm(rep, s.cfg.ColdFactor, s.cfg.ColdTau)
	}
	if a := s.svc.activator; a != nil {
		a.release()
	}
}

// grace is the end of a draining pod's termination grace period: what it
// still has is lost (SIGKILL), and it is gone.
func (s *scaleLoop) grace(arg uint64) {
	i, gen := int(uint32(arg)), uint32(arg>>32)
	p := &s.pods[i]
	if p.gen != gen || p.state != podDraining {
		return
	}
	rep := s.svc.Replicas[i]
	if rep.InFlight() > 0 {
		s.w.Crash(rep)() // killed: its work is dropped; the slot starts empty next time
	}
	s.retire(i)
}

// retire makes a drained pod absent: its slot may be created again later.
func (s *scaleLoop) retire(i int) {
	p := &s.pods[i]
	p.state = podAbsent
	p.gen++
	s.w.Warm(s.svc.Replicas[i], 0, 0)
}

// ScaleEvents is the number of times the autoscaler of svc changed its
// desired count, or -1 when svc is not autoscaled.
func (w *World) ScaleEvents(svc *Service) int {
	for _, l := range w.hooks.layers {
		if s, ok := l.(*scaleLoop); ok && s.svc == svc {
			return s.changes
		}
	}
	return -1
}
