// pulumi-tfgen-docker is the build-time helper: `pulumi-tfgen-docker schema
// --out DIR` writes schema.json and bridge-metadata.json for the plugin.
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"dockerprovider/provider"
)

var version = "5.2.0" // stamped by build.sh via -ldflags -X

func main() {
	pftfgen.MainWithMuxer("docker", provider.Info(version, nil))
}
