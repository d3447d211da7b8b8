#!/usr/bin/env bash
# Builds OUTDIR/pulumi-resource-kubernetes: Pulumi's kubernetes resource provider from the Go module
# github.com/pulumi/pulumi-kubernetes/provider/v4 (the pseudo-version in go.mod), served by our main.go with that
# module's own schema.json and terraform-mapping.json, reporting plugin version $VERSION.
#
#   VERSION=4.25.0 ./build.sh OUTDIR        (logs go to OUTDIR/build-logs/)
#
# Needs only Go and the Go module cache (filled from the module proxy when cold). Idempotent: every step rebuilds
# its output from scratch.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: VERSION=x.y.z $0 OUTDIR" >&2; exit 2; }
[ -n "${VERSION:-}" ] || { echo "VERSION is not set (toolchain/versions.json kubernetesProvider.version)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
LOGS="$OUT/build-logs"
mkdir -p "$LOGS"

MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
# -buildvcs=false: the binary must not depend on the state of the git checkout. -mod=readonly: go.mod and go.sum
# are the pins; a build never edits them.
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
cd "$HERE"

step() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
# run LOG CMD...: run quietly into LOGS/LOG; on failure show the log tail.
run() {
	local log="$LOGS/$1"; shift
	if ! "$@" >"$log" 2>&1; then
		echo "FAILED: $* (log: $log)" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
}
START=$SECONDS

step "1/3 provider module $MODULE (version from go.mod, checked against go.sum)"
run 01-download.log go mod download -json "$MODULE"
DIR=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$LOGS/01-download.log")
[ -n "$DIR" ] && [ -f "$DIR/cmd/pulumi-resource-kubernetes/schema.json" ] || { echo "no schema.json in the module folder '$DIR'" >&2; exit 1; }

step "2/3 embedded files -> _generated/ (schema.json with version $VERSION, terraform-mapping.json)"
rm -rf _generated
run 02-embedgen.log go run ./internal/embedgen "$VERSION" "$DIR" _generated

step "3/3 build pulumi-resource-kubernetes"
run 03-provider-build.log go build -trimpath \
	-ldflags "-s -w -X $MODULE/pkg/version.Version=$VERSION" -o "$OUT/pulumi-resource-kubernetes" .
# -trimpath leaves -ldflags out of the binary's build information: ask the binary (main.go answers -version).
got=$("$OUT/pulumi-resource-kubernetes" -version)
[ "$got" = "$VERSION" ] || { echo "plugin is stamped with version '$got', want $VERSION" >&2; exit 1; }

step "done in $((SECONDS - START))s: $OUT/pulumi-resource-kubernetes ($(du -h "$OUT/pulumi-resource-kubernetes" | cut -f1)), version $got"
