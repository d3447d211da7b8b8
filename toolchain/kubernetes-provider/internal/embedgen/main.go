// embedgen writes the files main.go embeds: the provider module's schema.json with its "version" set to the plugin
// version (upstream's generate step does the same), and its terraform-mapping.json compacted. Standard library only.
//
//	go run ./internal/embedgen VERSION MODULE_DIR OUT_DIR
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: embedgen VERSION MODULE_DIR OUT_DIR")
		os.Exit(2)
	}
	version, moduleDir, outDir := os.Args[1], os.Args[2], os.Args[3]
	src := filepath.Join(moduleDir, "cmd", "pulumi-resource-kubernetes")
	if err := run(version, src, outDir); err != nil {
		fmt.Fprintln(os.Stderr, "embedgen:", err)
		os.Exit(1)
	}
}

func run(version, src, outDir string) error {
	raw, err := os.ReadFile(filepath.Join(src, "schema.json"))
	if err != nil {
		return err
	}
	// Only the top-level "version" changes; every other member is kept byte for byte.
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("schema.json: %w", err)
	}
	if _, ok := spec["resources"]; !ok {
		return fmt.Errorf("schema.json has no resources")
	}
	if spec["version"], err = json.Marshal(version); err != nil {
		return err
	}
	schema, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	mapping, err := os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, mapping); err != nil {
		return fmt.Errorf("terraform-mapping.json: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, "schema.json"), schema, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "terraform-mapping.json"), compact.Bytes(), 0o644)
}
