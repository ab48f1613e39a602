#!/usr/bin/env bash
# Installs Temporal's time-skipping test server (used by `npm run test:fast`: workflow tests where days pass
# in milliseconds) into temporal/.bin/temporal-test-server. @temporalio/testing would download a native
# build from GitHub at run time, which a closed network refuses; the same server is published on Maven
# Central as a Java library, so this fetches its jars with Maven and writes a launcher. Needs Java 11+.
set -euo pipefail
VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.31.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/.test-server/$VERSION/lib"
TARGET="$HERE/.bin/temporal-test-server"

if [[ -x "$TARGET" && -d "$LIB" ]] && grep -q "$VERSION" "$TARGET"; then
  echo "$TARGET"; exit 0
fi
command -v java >/dev/null 2>&1 || { echo "error: the time-skipping test server needs Java 11+ (java not found)" >&2; exit 1; }
command -v mvn >/dev/null 2>&1 || { echo "error: installing the time-skipping test server needs Maven (mvn not found)" >&2; exit 1; }
mkdir -p "$LIB" "$HERE/.bin"
mvn -q -B -f "$HERE/test-server/pom.xml" -Dtemporal.test-server.version="$VERSION" \
  dependency:copy-dependencies -DoutputDirectory="$LIB" >&2
cat > "$TARGET.tmp" <<LAUNCHER
#!/usr/bin/env bash
# Temporal time-skipping test server $VERSION (Java, from Maven Central); first argument: the port.
exec java -XX:+UseSerialGC -Xss1m -cp "$LIB/*" io.temporal.testserver.TestServer "\$@"
LAUNCHER
chmod +x "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
echo "$TARGET"
