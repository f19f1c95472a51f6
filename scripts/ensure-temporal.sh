#!/usr/bin/env bash
# Makes the Temporal CLI (dev server for `ocr dev` and the tests) available. Uses tools/bin/temporal
# or a `temporal` on PATH; otherwise builds the pinned version from source with Go into tools/bin
# (git-ignored). Runs before `npm start` and `npm test`, never while tests run.
set -euo pipefail
cd "$(dirname "$0")/.."
# v1.5.1 is the last tag that `go install` can build: later ones carry a replace directive.
VERSION=v1.5.1

if [ -x tools/bin/temporal ] || command -v temporal >/dev/null 2>&1; then exit 0; fi

GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  cat >&2 <<MSG
The Temporal CLI is needed to run a local Temporal dev server, and neither it nor Go was found.
Either install Go (1.23 or newer, https://go.dev/doc/install) and run this again, which builds it with:
    GOBIN=$PWD/tools/bin go install github.com/temporalio/cli/cmd/temporal@$VERSION
or install the CLI (https://docs.temporal.io/cli#install) so that \`temporal\` is on PATH,
or point the service at an existing cluster with TEMPORAL_ADDRESS=host:7233.
MSG
  exit 1
fi

echo "Building the Temporal CLI $VERSION into tools/bin (first run only; takes about 5 minutes)..." >&2
GOBIN="$PWD/tools/bin" GOFLAGS=-buildvcs=false "$GO" install "github.com/temporalio/cli/cmd/temporal@$VERSION"
tools/bin/temporal --version >&2
