package main

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// segment is one stage: the rate goes linearly from r0 to r1 over [t0, t0+d] (seconds); i0 is the number of
// hits due before t0 (the integral of the rate from 0 to t0).
type segment struct {
	t0, d, r0, r1, i0 float64
}

func (s segment) slope() float64 { return (s.r1 - s.r0) / s.d }

// integral from s.t0 to s.t0+tau
func (s segment) hitsWithin(tau float64) float64 {
	return s.r0*tau + s.slope()*tau*tau/2
}

// solve returns tau in [0, d] at which hitsWithin(tau) == delta, in the form that is stable for ramps up,
// ramps down and constant rates alike: tau = 2Δ / (r0 + sqrt(r0² + 2aΔ)).
func (s segment) solve(delta float64) float64 {
	if delta <= 0 {
		return 0
	}
	disc := s.r0*s.r0 + 2*s.slope()*delta
	if disc < 0 {
		disc = 0
	}
	den := s.r0 + math.Sqrt(disc)
	if den <= 0 {
		return s.d
	}
	return math.Min(2*delta/den, s.d)
}

// Schedule is the plan's rate as a function of time: piecewise linear, one segment per stage.
//
//	I(t)  = ∫₀ᵗ rate      hits due by t
//	count(t) = ⌈I(t)⌉     hits n = 0, 1, … with S(n) < t
//	S(n)  = inf{t : I(t) > n}   the time at which hit n is due
//
// So hit 0 is due at the first instant the rate is positive, hit n when the integral passes n; a plan that
// is all zero sends nothing. planned = count(total).
type Schedule struct {
	segs    []segment
	ends    []float64 // I at the end of each segment, for the binary search
	total   float64   // seconds
	planned uint64
}

func newSchedule(startRate float64, stages []Stage) *Schedule {
	s := &Schedule{}
	t, i, r := 0.0, 0.0, startRate
	for _, st := range stages {
		seg := segment{t0: t, d: st.Seconds, r0: r, r1: st.Target, i0: i}
		i += seg.hitsWithin(seg.d)
		t += st.Seconds
		r = st.Target
		s.segs = append(s.segs, seg)
		s.ends = append(s.ends, i)
	}
	s.total = t
	s.planned = ceilCount(i)
	return s
}

// ceilCount is ⌈x⌉ with a tolerance for floating-point noise (a plan of 1000/s for 10 s is 10,000 hits, not
// 10,001 because the sum came out as 10000.000000001).
func ceilCount(x float64) uint64 {
	if x <= 0 {
		return 0
	}
	c := math.Ceil(x - (1e-9 + 1e-13*x))
	if c < 0 {
		return 0
	}
	return uint64(c)
}

// hitsDue is I(t).
func (s *Schedule) hitsDue(t float64) float64 {
	if t <= 0 {
		return 0
	}
	if t >= s.total {
		return s.ends[len(s.ends)-1]
	}
	k := sort.Search(len(s.segs), func(k int) bool { return s.segs[k].t0+s.segs[k].d > t })
	seg := s.segs[k]
	return seg.i0 + seg.hitsWithin(t-seg.t0)
}

// count is the number of hits due before t (seconds).
func (s *Schedule) count(t float64) uint64 { return ceilCount(s.hitsDue(t)) }

// rate is the instantaneous rate (per second) at t.
func (s *Schedule) rate(t float64) float64 {
	if t < 0 || t >= s.total {
		return 0
	}
	k := sort.Search(len(s.segs), func(k int) bool { return s.segs[k].t0+s.segs[k].d > t })
	seg := s.segs[k]
	return seg.r0 + seg.slope()*(t-seg.t0)
}

// due is S(n) in seconds, for n < planned (the inverse of the integral).
func (s *Schedule) due(n uint64) float64 {
	k := sort.Search(len(s.segs), func(k int) bool { return ceilCount(s.ends[k]) > n })
	if k == len(s.segs) {
		return s.total
	}
	seg := s.segs[k]
	return seg.t0 + seg.solve(float64(n)-seg.i0)
}

func secondsToDuration(x float64) time.Duration { return time.Duration(math.Round(x * 1e9)) }

// Pacer implements vegeta.Pacer for a Schedule. vegeta's attack loop calls Pace(elapsed, hits) with the
// number of hits it has handed to workers so far and sleeps for the returned wait before handing out the
// next one; it calls Pace from one goroutine only.
//
// Two things vegeta's loop cannot do by itself are done inside Pace: a long wait (a quiet stage, the quiet
// tail of a plan) is slept here on a timer that Stop interrupts, because vegeta's time.Sleep cannot be
// interrupted and hands out a hit after any wait; and after the last hit Pace idles until the plan's end, so
// a run lasts as long as its plan.
type Pacer struct {
	sched *Schedule
	stop  chan struct{}
	once  sync.Once
	began atomic.Pointer[time.Time] // the attack's start, as vegeta's clock has it
	// Hits still unsent this long after the plan's end are dropped (the generator fell behind); they show in
	// the summary as planned > sent.
	grace time.Duration
}

var _ vegeta.Pacer = (*Pacer)(nil)

// longWait is the longest wait handed back to vegeta's uninterruptible sleep.
const longWait = 50 * time.Millisecond

func newPacer(s *Schedule) *Pacer {
	return &Pacer{sched: s, stop: make(chan struct{}), grace: time.Second}
}

// Stop makes Pace return stop at once, also from inside a wait.
func (p *Pacer) Stop() { p.once.Do(func() { close(p.stop) }) }

// Began is the attack's start (monotonic), known from the first call to Pace; the zero time before it.
func (p *Pacer) Began() time.Time {
	if b := p.began.Load(); b != nil {
		return *b
	}
	return time.Time{}
}

// sleep waits d unless stopped first; it reports whether it slept the whole time.
func (p *Pacer) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-p.stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stop:
		return false
	}
}

// Pace implements vegeta.Pacer.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.began.Load() == nil {
		// vegeta computed elapsed as time.Since(its start) just before this call.
		b := time.Now().Add(-elapsed)
		p.began.Store(&b)
	}
	select {
	case <-p.stop:
		return 0, true
	default:
	}
	total := secondsToDuration(p.sched.total)
	if hits >= p.sched.planned {
		// Every hit is out: idle to the plan's end, then stop.
		p.sleep(total - elapsed)
		return 0, true
	}
	if elapsed >= total+p.grace {
		return 0, true
	}
	wait := secondsToDuration(p.sched.due(hits)) - elapsed
	if wait <= longWait {
		if wait < 0 {
			wait = 0
		}
		return wait, false
	}
	if !p.sleep(wait) {
		return 0, true
	}
	return 0, false
}

// Rate implements vegeta.Pacer.
func (p *Pacer) Rate(elapsed time.Duration) float64 { return p.sched.rate(elapsed.Seconds()) }
