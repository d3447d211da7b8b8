package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// stats accumulates what the summary reports, in memory bounded by the plan's length in seconds (one
// counter per second) and fixed-size histograms; nothing is kept per request.
type stats struct {
	sched     *Schedule
	completed uint64
	answered  uint64
	sentPerS  []uint64 // requests whose actual start fell in second i of the attack
	lag       histogram
	latency   histogram
	status    map[uint16]uint64
	errors    map[int]uint64
}

func newStats(s *Schedule) *stats {
	return &stats{
		sched:    s,
		sentPerS: make([]uint64, int(math.Ceil(s.total))),
		status:   map[uint16]uint64{},
		errors:   map[int]uint64{},
	}
}

// add counts one result. vegeta numbers results (Seq) in the order workers took their hits and stamps
// Timestamp in the same critical section (lib/attack.go), so the Seq-th start is paired with the Seq-th
// planned time, S(Seq): lag = actual start − planned start.
func (st *stats) add(r *vegeta.Result, began time.Time) {
	st.completed++
	st.status[r.Code]++
	if r.Code != 0 {
		st.answered++
	} else {
		st.errors[errorCode(r.Error)]++
	}
	st.latency.record(int64(r.Latency))
	if began.IsZero() {
		return
	}
	actual := r.Timestamp.Sub(began)
	if sec := int(actual / time.Second); sec >= 0 {
		for sec >= len(st.sentPerS) {
			st.sentPerS = append(st.sentPerS, 0)
		}
		st.sentPerS[sec]++
	}
	if r.Seq < st.sched.planned {
		st.lag.record(int64(actual - secondsToDuration(st.sched.due(r.Seq))))
	}
}

type quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func ms3(ns float64) float64 { return math.Round(ns/1e3) / 1e3 }

func (h *histogram) quantilesMs() quantiles {
	return quantiles{
		P50: ms3(h.quantile(0.50)),
		P90: ms3(h.quantile(0.90)),
		P99: ms3(h.quantile(0.99)),
		Max: ms3(float64(h.max)),
	}
}

type summaryDoc struct {
	Engine      string          `json:"engine"`
	Version     string          `json:"version"`
	Vegeta      string          `json:"vegeta"`
	StartedAtMs int64           `json:"startedAtMs"`
	EndedAtMs   int64           `json:"endedAtMs"`
	Planned     uint64          `json:"planned"`
	Sent        uint64          `json:"sent"`
	Completed   uint64          `json:"completed"`
	PerSecond   json.RawMessage `json:"perSecond"`
	LagMs       quantiles       `json:"lagMs"`
	Interrupted bool            `json:"interrupted"`
	// Beyond the brief's fields, for runs without a ledger (benchmarks):
	Answered  uint64            `json:"answered"`  // results with an HTTP status
	LatencyMs quantiles         `json:"latencyMs"` // vegeta's Result.Latency
	Status    map[string]uint64 `json:"status"`    // results by HTTP status, "0" for no answer
	Errors    map[string]uint64 `json:"errors"`    // results without an answer, by k6 error code
	Histogram string            `json:"histogram"` // how lagMs and latencyMs are computed
}

func (st *stats) summary(began, ended time.Time, sent uint64, interrupted bool) *summaryDoc {
	n := len(st.sentPerS)
	ps := make([]byte, 0, 40*n+2)
	ps = append(ps, '[')
	for i := 0; i < n; i++ {
		lo, hi := math.Min(float64(i), st.sched.total), math.Min(float64(i+1), st.sched.total)
		planned := st.sched.count(hi) - st.sched.count(lo)
		if i > 0 {
			ps = append(ps, ',')
		}
		ps = append(ps, `{"t":`...)
		ps = strconv.AppendInt(ps, int64(i), 10)
		ps = append(ps, `,"planned":`...)
		ps = strconv.AppendUint(ps, planned, 10)
		ps = append(ps, `,"sent":`...)
		ps = strconv.AppendUint(ps, st.sentPerS[i], 10)
		ps = append(ps, '}')
	}
	ps = append(ps, ']')
	doc := &summaryDoc{
		Engine:      "loadgen",
		Version:     version,
		Vegeta:      vegetaVersion(),
		StartedAtMs: began.UnixMilli(),
		EndedAtMs:   ended.UnixMilli(),
		Planned:     st.sched.planned,
		Sent:        sent,
		Completed:   st.completed,
		PerSecond:   ps,
		LagMs:       st.lag.quantilesMs(),
		Interrupted: interrupted,
		Answered:    st.answered,
		LatencyMs:   st.latency.quantilesMs(),
		Status:      map[string]uint64{},
		Errors:      map[string]uint64{},
		Histogram:   "log-linear, 1% buckets from 1us; percentiles within 0.5%, max exact",
	}
	for c, v := range st.status {
		doc.Status[strconv.Itoa(int(c))] = v
	}
	for c, v := range st.errors {
		doc.Errors[strconv.Itoa(c)] = v
	}
	return doc
}

// summaryFile is written at exit into a temporary file beside the target, created at start (so a path that
// cannot be written fails before anything is sent), then renamed over the target.
type summaryFile struct {
	path string
	tmp  *os.File
}

func createSummary(path string) (*summaryFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return nil, err
	}
	return &summaryFile{path: path, tmp: tmp}, nil
}

func (s *summaryFile) write(doc *summaryDoc) error {
	w := bufio.NewWriter(s.tmp)
	enc := json.NewEncoder(w)
	err := enc.Encode(doc)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = s.tmp.Chmod(0o644)
	}
	if cerr := s.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(s.tmp.Name())
	}
	return err
}
