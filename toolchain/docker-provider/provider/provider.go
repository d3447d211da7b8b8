// Package provider maps the Terraform docker provider onto Pulumi's
// "docker" package, so that the @pulumi/docker npm SDK (5.2.0) talks to it.
// It is shared by the tfgen helper (which writes schema.json and
// bridge-metadata.json) and the provider plugin (which embeds them).
package provider

import (
	"context"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"

	"github.com/terraform-providers/terraform-provider-docker/shim"
)

const mainMod = "index"

// Info returns the bridge configuration. metadata is the bridge-metadata.json
// written by tfgen (nil while tfgen itself runs: it starts empty).
func Info(version string, metadata []byte) tfbridge.ProviderInfo {
	ctx := context.Background()
	// Upstream serves SDKv2 and plugin-framework resources through a mux;
	// the bridge does the same on the Pulumi side.
	p := pftfbridge.MuxShimWithPF(ctx,
		shimv2.NewProvider(shim.NewProvider(version)),
		shim.NewFrameworkProvider(version))

	info := tfbridge.ProviderInfo{
		P:            p,
		Name:         "docker",
		Version:      version,
		DisplayName:  "Docker",
		Publisher:    "Pulumi",
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:    "kreuzwerker",
		Description:  "A Pulumi package for interacting with Docker in Pulumi programs",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		// tfgen reads resource docs from the upstream copy made by build.sh.
		UpstreamRepoPath: "./_upstream",
		// The SDK names this list "registryAuth", not the plural the bridge
		// would derive.
		Config: map[string]*tfbridge.SchemaInfo{
			"registry_auth": {Name: "registryAuth"},
		},
		// Only the names the standard rules would get wrong for the SDK.
		Resources: map[string]*tfbridge.ResourceInfo{
			// The SDK keeps these two list names singular.
			"docker_container": {
				Tok: tfbridge.MakeResource("docker", mainMod, "Container"),
				Fields: map[string]*tfbridge.SchemaInfo{
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			// The SDK calls the pulled image RemoteImage ("Image" is the
			// official provider's own build resource, not bridged here).
			"docker_image": {
				Tok: tfbridge.MakeResource("docker", mainMod, "RemoteImage"),
				// An image name is the image reference: never auto-named,
				// and required in the SDK.
				Fields: map[string]*tfbridge.SchemaInfo{"name": {}},
			},
			// "Config" would clash with the package's config module.
			"docker_config": {Tok: tfbridge.MakeResource("docker", mainMod, "ServiceConfig")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tfbridge.MakeDataSource("docker", mainMod, "getRemoteImage")},
		},
	}
	// Everything else: docker_foo_bar -> docker:index/fooBar:FooBar and
	// data docker_foo_bar -> docker:index/getFooBar:getFooBar.
	info.MustComputeTokens(tokens.SingleModule("docker_", mainMod, tokens.MakeStandard("docker")))
	// Names (container, network, volume, secret, ...) become optional in the
	// SDK and are derived from the Pulumi resource name when omitted.
	info.SetAutonaming(255, "-")
	return info
}
