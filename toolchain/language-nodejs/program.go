package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// programDir is where the program's package.json lives.
func programDir(info *pulumirpc.ProgramInfo) string {
	if info == nil {
		return ""
	}
	return info.GetProgramDirectory()
}

// entryPoint is what the harness loads: the program directory itself when Pulumi.yaml names no main file.
func entryPoint(req *pulumirpc.RunRequest) string {
	info := req.GetInfo()
	if info == nil {
		return req.GetProgram()
	}
	if ep := info.GetEntryPoint(); ep != "" && ep != "." {
		return filepath.Join(info.GetProgramDirectory(), ep)
	}
	return info.GetProgramDirectory()
}

// option reads one `runtime.options` value from Pulumi.yaml.
func option(info *pulumirpc.ProgramInfo, name string) (interface{}, bool) {
	if info == nil || info.GetOptions() == nil {
		return nil, false
	}
	v, ok := info.GetOptions().AsMap()[name]
	return v, ok
}

func nodeArgs(info *pulumirpc.ProgramInfo) []string {
	v, ok := option(info, "nodeargs")
	if !ok {
		return nil
	}
	s, _ := v.(string)
	if s == "" {
		return nil
	}
	return splitFields(s)
}

// typeScriptEnv mirrors Pulumi's defaults: TypeScript is on unless `typescript: false`.
func typeScriptEnv(info *pulumirpc.ProgramInfo) []string {
	env := []string{}
	ts := true
	if v, ok := option(info, "typescript"); ok {
		if b, isBool := v.(bool); isBool {
			ts = b
		}
	}
	if ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if v, ok := option(info, "tsconfig"); ok {
		if s, _ := v.(string); s != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+s)
		}
	}
	return env
}

func runEnv(req *pulumirpc.RunRequest) ([]string, error) {
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("encoding secret keys: %w", err)
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	return append(env, typeScriptEnv(req.GetInfo())...), nil
}

func harnessFlags(req *pulumirpc.RunRequest, engineAddress string) []string {
	flags := []string{
		"--monitor=" + req.GetMonitorAddress(),
		"--engine=" + engineAddress,
		"--project=" + req.GetProject(),
		"--stack=" + req.GetStack(),
		"--pwd=" + req.GetPwd(),
		"--parallel=" + strconv.Itoa(int(req.GetParallel())),
	}
	if org := req.GetOrganization(); org != "" {
		flags = append(flags, "--organization="+org)
	}
	if info := req.GetInfo(); info != nil && info.GetRootDirectory() != "" {
		flags = append(flags, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		flags = append(flags, "--dry-run")
	}
	return flags
}

// findHarness locates @pulumi/pulumi/cmd/<name> in the program's node_modules, walking up like Node does.
func findHarness(dir, name string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", name)
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if parent := filepath.Dir(d); parent == d {
			break
		}
	}
	return "", fmt.Errorf("@pulumi/pulumi was not found in node_modules above %s: run `npm ci` in the project first", dir)
}

type pluginRef struct{ Name, Version, Server string }

type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// resourcePlugins lists the resource plugins that installed packages declare in their package.json
// ("pulumi": {"resource": true, ...}), so the engine can check them before the program starts.
func resourcePlugins(dir string) ([]pluginRef, error) {
	if dir == "" {
		return nil, nil
	}
	var manifests []string
	for _, pattern := range []string{"node_modules/*/package.json", "node_modules/@*/*/package.json"} {
		found, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		manifests = append(manifests, found...)
	}
	seen := map[string]bool{}
	var plugins []pluginRef
	for _, m := range manifests {
		p, err := readPackageJSON(m)
		if err != nil || p.Pulumi == nil || !p.Pulumi.Resource {
			continue
		}
		ref := pluginRef{Name: p.Pulumi.Name, Version: p.Pulumi.Version, Server: p.Pulumi.Server}
		if ref.Version == "" {
			ref.Version = p.Version
		}
		if ref.Name == "" {
			ref.Name = filepath.Base(filepath.Dir(m))
		}
		key := ref.Name + "@" + ref.Version
		if !seen[key] {
			seen[key] = true
			plugins = append(plugins, ref)
		}
	}
	sort.Slice(plugins, func(i, j int) bool { return plugins[i].Name < plugins[j].Name })
	return plugins, nil
}

// declaredDependencies reports the program's direct dependencies with their installed versions.
func declaredDependencies(dir string) ([]*pulumirpc.DependencyInfo, error) {
	if dir == "" {
		return nil, nil
	}
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(p.Dependencies))
	for name := range p.Dependencies {
		names = append(names, name)
	}
	sort.Strings(names)
	deps := make([]*pulumirpc.DependencyInfo, 0, len(names))
	for _, name := range names {
		version := p.Dependencies[name]
		if installed, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json")); err == nil {
			version = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: version})
	}
	return deps, nil
}

// splitFields splits nodeargs on spaces; Pulumi.yaml's nodeargs is a plain space-separated string.
func splitFields(s string) []string {
	var out []string
	field := ""
	for _, r := range s {
		if r == ' ' || r == '\t' {
			if field != "" {
				out = append(out, field)
				field = ""
			}
			continue
		}
		field += string(r)
	}
	if field != "" {
		out = append(out, field)
	}
	return out
}
