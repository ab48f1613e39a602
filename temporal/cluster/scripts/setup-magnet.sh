#!/bin/sh
# Runs in temporalio/admin-tools once the server is up: creates the namespace and registers magnet's search
# attributes (src/workflows/search-attributes.ts). Idempotent: existing ones are left alone.
# Also usable against any cluster you administer:
#   TEMPORAL_ADDRESS=host:7233 TEMPORAL_NAMESPACE=default sh temporal/cluster/scripts/setup-magnet.sh
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}" "${TEMPORAL_NAMESPACE:=default}" "${NAMESPACE_RETENTION:=7d}"
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 120 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 120 tries" >&2
    exit 1
  fi
  sleep 2
done

if ! temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  echo "creating namespace $TEMPORAL_NAMESPACE (retention $NAMESPACE_RETENTION)"
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$NAMESPACE_RETENTION"
fi

existing="$(temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null || true)"
register() { # register TYPE NAME...
  type="$1"
  shift
  for name in "$@"; do
    if printf '%s\n' "$existing" | grep -qw "$name"; then
      echo "search attribute $name: registered already"
    else
      echo "search attribute $name: creating ($type)"
      temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
    fi
  done
}
register Keyword MagnetRun MagnetStatus MagnetErrorType
register Int MagnetTurns
register KeywordList MagnetCategories
echo "namespace $TEMPORAL_NAMESPACE is ready for magnet"
