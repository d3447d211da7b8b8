#!/usr/bin/env bash
# Builds OUTDIR/pulumi-resource-docker: kreuzwerker's Terraform docker provider
# served through Pulumi's terraform bridge, reporting plugin version $VERSION.
#
#   ./build.sh OUTDIR        (logs go to OUTDIR/build-logs/)
#
# Needs only Go and the Go module cache (filled from the module proxy when
# cold). Idempotent: every step rebuilds its output from scratch.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
LOGS="$OUT/build-logs"
mkdir -p "$LOGS"

VERSION=${VERSION:-5.2.0}
# Upstream module and the h1: hash the build was checked against (it is not in
# go.sum, because go.mod points the module at the local copy below).
UPSTREAM=github.com/kreuzwerker/terraform-provider-docker
UPSTREAM_VERSION=v0.0.0-20260916201441-96d331c98ff4
UPSTREAM_SUM=h1:T3HvvZCRd4h2qkMl+SXA2zza26Rdz8xqV81skikQWy4=
# no_compose drops the docker_compose resource (not in the @pulumi/docker
# SDK; it drags in docker/compose and is the only part needing cgo on macOS).
TAGS=no_compose

# -buildvcs=false: the binary must not depend on the state of the git checkout.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
TMP=$(mktemp -d /tmp/dockerprov-build.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
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

step "1/5 upstream module $UPSTREAM@$UPSTREAM_VERSION"
run 01-download.log go mod download -json "$UPSTREAM@$UPSTREAM_VERSION"
DIR=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$LOGS/01-download.log")
SUM=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' "$LOGS/01-download.log")
[ "$SUM" = "$UPSTREAM_SUM" ] || { echo "upstream hash $SUM != $UPSTREAM_SUM" >&2; exit 1; }

step "2/5 private upstream copy with shim overlay and patches -> _upstream/"
# internal/provider cannot be imported from another module, so we add our
# shim package (from _overlay/) inside a copy of the module.
rm -rf _upstream
cp -R "$DIR" _upstream
chmod -R u+w _upstream
cp -R _overlay/. _upstream/
# Our patches to upstream (each file says why), applied in name order; one that no longer applies fails here.
# git apply, as git is needed anyway (patch(1) is optional on Debian); GIT_DIR keeps it from treating the copy
# as part of the repository around it (which would make paths relative to that repository's top).
for p in patches/*.patch; do
	(cd _upstream && run "02-$(basename "$p" .patch).log" env GIT_DIR=/nonexistent git apply -v "$HERE/$p")
done

step "3/5 build pulumi-tfgen-docker"
run 03-tfgen-build.log go build -trimpath -tags "$TAGS" \
	-ldflags "-X main.version=$VERSION" -o "$TMP/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker

step "4/5 generate schema.json + bridge-metadata.json"
# --skip-examples: converting the docs' HCL examples needs the pulumi CLI
# and its terraform converter; descriptions are kept.
run 04-tfgen-schema.log "$TMP/pulumi-tfgen-docker" schema --skip-examples --out "$TMP/gen"
cp "$TMP/gen/schema.json" "$TMP/gen/bridge-metadata.json" cmd/pulumi-resource-docker/
cp "$TMP/gen/schema.json" "$OUT/schema.json"

step "5/5 build pulumi-resource-docker"
run 05-provider-build.log go build -trimpath -tags "$TAGS" \
	-ldflags "-s -w -X main.version=$VERSION" -o "$OUT/pulumi-resource-docker" ./cmd/pulumi-resource-docker
got=$("$OUT/pulumi-resource-docker" -version)
[ "$got" = "$VERSION" ] || { echo "plugin reports version $got, want $VERSION" >&2; exit 1; }

step "done in $((SECONDS - START))s: $OUT/pulumi-resource-docker ($(du -h "$OUT/pulumi-resource-docker" | cut -f1)), version $got"
