//go:build tools

// Package tools pins go.etcd.io/etcd/server/v3 so that `go build go.etcd.io/etcd/server/v3` compiles the etcd
// server (that module's root package is etcd's main) from this module's go.sum.
package tools

import _ "go.etcd.io/etcd/server/v3"
