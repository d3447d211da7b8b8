//go:build tools

// Pins Jaeger (Apache-2.0) for the testbed's traces: the all-in-one binary with in-memory storage, built with
// `go build github.com/jaegertracing/jaeger/cmd/jaeger`.
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
