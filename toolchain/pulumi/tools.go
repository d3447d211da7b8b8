//go:build tools

// Package tools pins the Pulumi CLI so that `go build` can compile it from the
// module cache; Pulumi's own go.mod has replace lines, which `go install` refuses.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
