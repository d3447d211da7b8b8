// pulumi-resource-kubernetes: Pulumi's kubernetes resource provider (github.com/pulumi/pulumi-kubernetes/provider/v4)
// served with the schema and Terraform mapping of that same module version. Upstream's main embeds files that its
// `go generate` writes and git ignores, so they are not in the module zip: build.sh writes them into _generated/.
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed _generated/schema.json
var schema []byte

//go:embed _generated/terraform-mapping.json
var terraformMapping []byte

func main() {
	// `-version` alone, as the docker provider answers it: the engine never starts a plugin with that argument.
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println(version.Version)
		return
	}
	// version.Version is stamped with -ldflags -X (as upstream's release build does); it is what GetPluginInfo reports.
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
