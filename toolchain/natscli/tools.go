//go:build tools

// Package tools pins github.com/nats-io/natscli/nats so that `go build` compiles it from this module's go.sum.
package tools

import _ "github.com/nats-io/natscli/nats"
