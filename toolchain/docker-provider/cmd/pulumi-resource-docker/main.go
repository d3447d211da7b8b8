// pulumi-resource-docker is the Pulumi resource plugin for the "docker"
// package: kreuzwerker's Terraform docker provider behind Pulumi's bridge.
package main

import (
	"context"
	_ "embed"
	"os"
	"time"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"dockerprovider/provider"
)

// version is stamped by build.sh (-ldflags "-X main.version=..."); the
// engine matches it against the version the npm SDK asks for.
var version = "5.2.0"

// Both files are written next to this one by build.sh (tfgen step) and are
// not committed.
var (
	//go:embed schema.json
	schema []byte
	//go:embed bridge-metadata.json
	metadata []byte
)

func main() {
	// A SIGKILLed engine never stops its plugins: stop with it, as the language host does (its exitWithEngine).
	engine := os.Getppid()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			if os.Getppid() != engine {
				os.Exit(1)
			}
		}
	}()
	pftfbridge.MainWithMuxer(context.Background(), "docker", provider.Info(version, metadata), schema)
}
