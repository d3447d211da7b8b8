//go:build tools

// Pins syft (Apache-2.0) for the SBOMs of the testbed's images; built with `go build github.com/anchore/syft/cmd/syft`.
package tools

import _ "github.com/anchore/syft/cmd/syft"
