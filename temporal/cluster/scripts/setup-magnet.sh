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
  # another setup may have created it meanwhile: that is as good
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$NAMESPACE_RETENTION" ||
    temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null
fi

# A namespace just created is not visible everywhere in the server at once (its namespace cache refreshes
# every few seconds): listing or creating search attributes at once fails with "Namespace ... is not found".
list() { temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>&1; }
tries=0
until existing="$(list)"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "namespace $TEMPORAL_NAMESPACE is not usable after 60 tries: $(printf '%s' "$existing" | head -n 1)" >&2
    exit 1
  fi
  [ "$tries" -eq 1 ] && echo "waiting for namespace $TEMPORAL_NAMESPACE to be visible"
  sleep 2
done

register() { # register TYPE NAME...
  type="$1"
  shift
  for name in "$@"; do
    if printf '%s\n' "$existing" | grep -qw "$name"; then
      echo "search attribute $name: registered already"
      continue
    fi
    echo "search attribute $name: creating ($type)"
    tries=0
    until out="$(temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" 2>&1)"; do
      # created by an earlier, interrupted try or by another setup: done
      if list | grep -qw "$name"; then break; fi
      tries=$((tries + 1))
      if [ "$tries" -ge 10 ]; then
        echo "search attribute $name: cannot create it: $(printf '%s' "$out" | head -n 1)" >&2
        exit 1
      fi
      sleep 2
    done
  done
}
register Keyword MagnetRun MagnetStatus MagnetErrorType
register Int MagnetTurns
register KeywordList MagnetCategories
echo "namespace $TEMPORAL_NAMESPACE is ready for magnet"
