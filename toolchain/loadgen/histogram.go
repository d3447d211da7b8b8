package main

import "math"

// histogram is a fixed-size log-linear histogram of durations (nanoseconds): one bucket below 1 µs, then
// buckets growing by 1 % up to about 6 h (values above fall in the last bucket). Memory is constant
// (histBuckets counters), whatever the run's length; a percentile is exact to within ±0.5 % of its value,
// the maximum is kept exactly.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

const (
	histBuckets = 2400
	histMinNs   = 1000.0 // 1 µs
	histGrowth  = 1.01
)

var histLogGrowth = math.Log(histGrowth)

func (h *histogram) record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h.n++
	if ns > h.max {
		h.max = ns
	}
	i := 0
	if float64(ns) >= histMinNs {
		i = 1 + int(math.Log(float64(ns)/histMinNs)/histLogGrowth)
		if i >= histBuckets {
			i = histBuckets - 1
		}
	}
	h.counts[i]++
}

// quantile returns the q-quantile in nanoseconds: the geometric middle of the bucket holding it (0 for the
// sub-microsecond bucket's lower half), never above the exact maximum.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			var v float64
			if i == 0 {
				v = histMinNs / 2
			} else {
				lo := histMinNs * math.Pow(histGrowth, float64(i-1))
				v = lo * math.Sqrt(histGrowth)
			}
			return math.Min(v, float64(h.max))
		}
	}
	return float64(h.max)
}
