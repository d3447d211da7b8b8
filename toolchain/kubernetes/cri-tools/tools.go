//go:build tools

// Package tools pins sigs.k8s.io/cri-tools for crictl.
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
