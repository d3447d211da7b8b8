//go:build tools

// Package tools pins go.k6.io/k6/v2 so that `go build` compiles it from this module's go.sum.
package tools

import _ "go.k6.io/k6/v2"
