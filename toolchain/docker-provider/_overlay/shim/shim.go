// Package shim is overlaid by build.sh into a private copy of the upstream
// kreuzwerker/terraform-provider-docker module. It exists only because the
// provider constructors live in an internal/ package, which Go forbids
// importing from another module; a package inside the module may import it.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the SDKv2 half of the provider (containers, images,
// networks, volumes, services, ...).
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}

// NewFrameworkProvider returns the plugin-framework half of the provider
// (data sources docker_containers / docker_registry_image_tags, and
// docker_compose unless built with the no_compose tag).
func NewFrameworkProvider(version string) fwprovider.Provider {
	return provider.NewFrameworkProvider(version)()
}
