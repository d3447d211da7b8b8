package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// The trace of request n: its id is the first 8 bytes of SHA-256(keyPrefix) then n, so the driver finds each
// acknowledged record's trace from its key alone (lib/trace-ids.ts computes the same). The parent span id,
// n+1, stands for the load generator's own span, which is never exported. One request in `every` is marked
// sampled; the system under test follows the caller's decision.
func traceparent(keyPrefix string, n, every uint64) string {
	head := sha256.Sum256([]byte(keyPrefix))
	flags := "00"
	if n%every == 0 {
		flags = "01"
	}
	return fmt.Sprintf("00-%s%016x-%016x-%s", hex.EncodeToString(head[:8]), n, n+1, flags)
}
