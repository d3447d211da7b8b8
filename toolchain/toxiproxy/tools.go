//go:build tools

// Package tools pins github.com/Shopify/toxiproxy/v2/cmd/server so that `go build` compiles it from this module's go.sum.
package tools

import _ "github.com/Shopify/toxiproxy/v2/cmd/server"
