// Command pulumi-language-nodejs is cp3-testbed's own Node.js language host for the Pulumi engine.
//
// Why it exists: Pulumi's language host lives in its own Go module that carries no tags, and the Go module
// proxy that air-gapped machines reach does not serve any of its pseudo-versions, while the CLI (pkg/v3) and
// the SDK (sdk/v3) are served. This host implements the part of the LanguageRuntime protocol a Node.js or
// TypeScript program needs: it runs the program through the run harness that ships with the program's own
// @pulumi/pulumi package (the same harness Pulumi's host starts), lists the resource plugins the program's
// node_modules declare, and runs policy packs (RunPlugin) through the harness @pulumi/pulumi ships for them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// exitAfterReportedError is the harness's exit code for "the error was already shown to the user".
const exitAfterReportedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

// exitWithEngine ends the plugin once the engine that started it is gone. An engine that is SIGKILLed never
// tells its plugins to stop, and they lived on, orphaned (cp3 bench interrupts found them). The parent changes
// when it dies: the plugin is handed to init or a subreaper.
func exitWithEngine() {
	engine := os.Getppid()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			if os.Getppid() != engine {
				os.Exit(1)
			}
		}
	}()
}

func main() {
	exitWithEngine()
	// The engine passes optional flags first and its own address as the last positional argument.
	engineAddress := ""
	if len(os.Args) > 1 {
		engineAddress = os.Args[len(os.Args)-1]
	}
	h := &host{engineAddress: engineAddress}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.engineAddress = req.EngineAddress
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := resourcePlugins(programDir(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range plugins {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server})
	}
	return resp, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := resourcePlugins(programDir(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range plugins {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server})
	}
	return resp, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := declaredDependencies(programDir(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node was not found on PATH: put Node.js 22 or newer first on PATH (cp3 setup --env does)")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version failed: %w", node, err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(strings.TrimPrefix(string(out), "v"))}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.GetInfo())
	if dir == "" {
		dir = req.GetPwd()
	}
	harness, err := findHarness(dir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := append(nodeArgs(req.GetInfo()), harness)
	args = append(args, harnessFlags(req, h.engineAddress)...)
	args = append(args, entryPoint(req))
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	// The engine shows this plugin's stdout and stderr to the user, so the program's console output reaches them.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Let the program finish its own shutdown on cancellation instead of being killed mid-RPC.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	return runResult(cmd.Run()), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	dir := programDir(req.GetInfo())
	if dir == "" {
		dir = req.GetPwd()
	}
	// The harnesses' contracts: run-policy-pack <engine-address> <program>; run-plugin <program> [args...].
	// The engine sends only the engine address (analyzers) or the plugin's own arguments; the program is
	// the plugin's folder.
	args := nodeArgs(req.GetInfo())
	if req.GetKind() == "analyzer" {
		harness, err := findHarness(dir, "run-policy-pack")
		if err != nil {
			return err
		}
		args = append(append(append(args, harness), req.GetArgs()...), dir)
	} else {
		harness, err := findHarness(dir, "run-plugin")
		if err != nil {
			return err
		}
		args = append(append(append(args, harness), dir), req.GetArgs()...)
	}
	cmd := exec.CommandContext(stream.Context(), "node", args...)
	// A plugin runs in its own folder (a policy pack reads its package.json from there), whatever the
	// engine's working directory is.
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), req.GetEnv()...), typeScriptEnv(req.GetInfo())...)
	cmd.Stdout = &streamWriter{send: func(b []byte) error {
		return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = &streamWriter{send: func(b []byte) error {
		return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("starting node %v: %w", args, err)
		}
		code = exitErr.ExitCode()
	}
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// runResult turns the harness's exit into the engine's answer: 0 is success, 32 means the program already
// reported its error (bail without adding another message), anything else is a failure worth a message.
func runResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == exitAfterReportedError {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v (is Node.js on PATH?)", err)}
}

type streamWriter struct{ send func([]byte) error }

func (w *streamWriter) Write(p []byte) (int, error) {
	// The stream may outlive the slice handed to Write, so send a copy.
	if err := w.send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
