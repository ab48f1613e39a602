#!/usr/bin/env bash
# The cluster of docker-compose.yml without Docker: a pinned Temporal server built from the Go module proxy,
# PostgreSQL from the machine's packages, both schemas set up by scripts/setup-postgres.sh, the server started
# with config/server-postgres12.yaml (the image's config template, fed the environment docker-compose.yml
# sets) and dynamicconfig/development-sql.yaml, then scripts/setup-magnet.sh against it.
#
#   local.sh install         build the server and its SQL tool into temporal/.bin/temporal-server-<version>/
#   local.sh up [DIR]        start PostgreSQL and the server, state in DIR (default: a new folder under /tmp);
#                            prints `export MAGNET_CLUSTER_DIR=... TEMPORAL_ADDRESS=...`
#   local.sh server          the server in the foreground on $MAGNET_CLUSTER_DIR's ports (restarts use this)
#   local.sh down [DIR]      stop what `up` started there and delete the folder
#   local.sh test            install, up, `jest --selectProjects cluster`, down (also on failure)
#
#   TEMPORAL_SERVER_VERSION  the server version (default 1.29.1)
set -euo pipefail
VERSION="${TEMPORAL_SERVER_VERSION:-1.29.1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEST="$ROOT/temporal/.bin/temporal-server-$VERSION"
SERVER="$DEST/temporal-server"
SQL_TOOL="$DEST/temporal-sql-tool"
# what docker-compose.yml gives the postgresql and temporal services
export POSTGRES_USER="${POSTGRES_USER:-temporal}" POSTGRES_PWD="${POSTGRES_PWD:-temporal}"

log() { echo "local.sh: $*" >&2; }
die() {
  echo "local.sh: error: $*" >&2
  exit 1
}

install_server() {
  if [[ -x "$SERVER" && -x "$SQL_TOOL" && -d "$DEST/schema/postgresql/v12" ]] &&
    "$SERVER" --version 2>/dev/null | grep -q " $VERSION"; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "building Temporal server $VERSION needs Go (go not found); or put temporal-server, temporal-sql-tool and schema/ in $DEST"
  log "building Temporal server $VERSION and temporal-sql-tool with go install (a few minutes, once)"
  local tmp
  tmp="$(mktemp -d)"
  local t0=$SECONDS
  GOBIN="$tmp" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install \
    "go.temporal.io/server/cmd/server@v$VERSION" "go.temporal.io/server/cmd/tools/sql@v$VERSION" >&2
  # the schema files ship in the module, not in the binaries: kept next to them so the Go module cache may go
  local mod
  mod="$(go env GOMODCACHE)/go.temporal.io/server@v$VERSION"
  [[ -d "$mod/schema/postgresql/v12" ]] || die "no schema/postgresql/v12 in $mod"
  mkdir -p "$tmp/schema"
  cp -r "$mod/schema/postgresql" "$tmp/schema/"
  chmod -R u+w "$tmp/schema"
  mv "$tmp/server" "$tmp/temporal-server"
  mv "$tmp/sql" "$tmp/temporal-sql-tool"
  rm -rf "$DEST"
  mkdir -p "$(dirname "$DEST")"
  mv "$tmp" "$DEST"
  chmod 755 "$DEST"
  log "built in $((SECONDS - t0)) s: $("$SERVER" --version)"
}

# n free TCP ports on 127.0.0.1, distinct, below 32768: the server stores its membership ports in a smallint
# column (a port from the kernel's ephemeral range stops it with "out of range for type smallint"); each
# listener is held until all are chosen
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer();
      s.once("error", next);
      s.listen(20000 + Math.floor(Math.random() * 12000), "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();' "$1"
}

# PostgreSQL's programs: Debian keeps them in /usr/lib/postgresql/<major>/bin, installed here when missing
pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [[ -z "$dir" && -x "$(command -v pg_ctl || true)" ]]; then dir="$(dirname "$(command -v pg_ctl)")"; fi
  if [[ -z "$dir" ]]; then
    [[ "$(id -u)" == 0 ]] || die "PostgreSQL is not installed (install Debian's postgresql package as root)"
    log "installing Debian's postgresql package"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root: as root it runs as the package's postgres user
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

state() { # state DIR NAME: a value written by `up`
  sed -n "s/^export $2=//p" "$1/env" | tr -d "'"
}

up() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || dir="$(mktemp -d /tmp/magnet-cluster.XXXXXX)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  # a failed start leaves nothing running (a global: the EXIT trap runs where this function's locals are gone)
  UP_DIR="$dir"
  trap 'down "$UP_DIR"' EXIT
  install_server
  local bin
  bin="$(pg_bindir)"
  # the postgres user must reach its data folder inside ours
  chmod 755 "$dir"
  mkdir -p "$dir/pg"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$dir/pg"
  read -r pg_port fe_grpc fe_member fe_http hist_grpc hist_member match_grpc match_member work_grpc work_member \
    <<<"$(free_ports 10)"
  {
    # one variable a line: `state` reads them back
    echo "export MAGNET_CLUSTER_DIR='$dir'"
    echo "export PG_BIN='$bin'"
    echo "export PG_PORT='$pg_port'"
    # the environment docker-compose.yml gives the temporal service, with ports free on this machine and
    # 127.0.0.1 instead of 0.0.0.0 (no container network here)
    echo "export DB='postgres12'"
    echo "export DB_PORT='$pg_port'"
    echo "export POSTGRES_SEEDS='127.0.0.1'"
    echo "export BIND_ON_IP='127.0.0.1'"
    echo "export NUM_HISTORY_SHARDS='16'"
    echo "export DYNAMIC_CONFIG_FILE_PATH='$HERE/dynamicconfig/development-sql.yaml'"
    echo "export FRONTEND_GRPC_PORT='$fe_grpc'"
    echo "export FRONTEND_MEMBERSHIP_PORT='$fe_member'"
    echo "export FRONTEND_HTTP_PORT='$fe_http'"
    echo "export HISTORY_GRPC_PORT='$hist_grpc'"
    echo "export HISTORY_MEMBERSHIP_PORT='$hist_member'"
    echo "export MATCHING_GRPC_PORT='$match_grpc'"
    echo "export MATCHING_MEMBERSHIP_PORT='$match_member'"
    echo "export WORKER_GRPC_PORT='$work_grpc'"
    echo "export WORKER_MEMBERSHIP_PORT='$work_member'"
    echo "export TEMPORAL_ADDRESS='127.0.0.1:$fe_grpc'"
    echo "export TEMPORAL_NAMESPACE='${TEMPORAL_NAMESPACE:-default}'"
  } >"$dir/env"

  printf '%s\n' "$POSTGRES_PWD" >"$dir/pg.pw"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$dir/pg.pw"
  as_pg "$bin/initdb" -D "$dir/pg/data" -U "$POSTGRES_USER" --pwfile="$dir/pg.pw" --auth=scram-sha-256 \
    -E UTF8 >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 3 "$dir/initdb.log")"
  rm -f "$dir/pg.pw"
  as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
    die "PostgreSQL did not start: $(tail -n 5 "$dir/pg/postgres.log")"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (data $dir/pg/data)"

  # the Compose file's temporal-schema step, with the schema files of the built server
  PATH="$DEST:$PATH" POSTGRES_SEEDS=127.0.0.1 DB_PORT="$pg_port" SCHEMA_DIR="$DEST/schema/postgresql/v12" \
    sh "$HERE/scripts/setup-postgres.sh" >"$dir/schema.log" 2>&1 ||
    die "schema setup failed: $(tail -n 5 "$dir/schema.log")"
  log "schemas temporal and temporal_visibility set up ($dir/schema.log)"

  server_bg "$dir"
  # the Compose file's temporal-setup step: the namespace and magnet's search attributes
  local cli
  cli="$(bash "$ROOT/temporal/install.sh")"
  (
    # shellcheck disable=SC1091
    . "$dir/env"
    PATH="$(dirname "$cli"):$PATH" sh "$HERE/scripts/setup-magnet.sh"
  ) >"$dir/setup-magnet.log" 2>&1 || die "setup-magnet.sh failed: $(tail -n 5 "$dir/setup-magnet.log")"
  log "$(tail -n 1 "$dir/setup-magnet.log") ($dir/setup-magnet.log)"
  trap - EXIT
  echo "export MAGNET_CLUSTER_DIR='$dir' TEMPORAL_ADDRESS='$(state "$dir" TEMPORAL_ADDRESS)'"
}

# the server in the foreground; `exec` keeps this pid, so server.pid names the server process itself
server() {
  local dir="${1:-${MAGNET_CLUSTER_DIR:?}}"
  # shellcheck disable=SC1091
  . "$dir/env"
  echo $$ >"$dir/server.pid"
  exec "$SERVER" --root "$HERE" --config config --env server-postgres12 --allow-no-auth start
}

server_bg() {
  local dir="$1"
  bash "$HERE/local.sh" server "$dir" >>"$dir/server.log" 2>&1 &
  # the test kills this server on purpose: no "Killed" job notice from this shell when it does
  disown
  local port
  port="$(state "$dir" FRONTEND_GRPC_PORT)"
  for _ in $(seq 1 240); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "Temporal server $VERSION (pid $(cat "$dir/server.pid")) on 127.0.0.1:$port (log $dir/server.log)"
      return 0
    fi
    if [[ -f "$dir/server.pid" ]] && ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
      die "the Temporal server exited: $(tail -n 5 "$dir/server.log")"
    fi
    sleep 0.5
  done
  die "the Temporal server did not open port $port within 120 s (log $dir/server.log)"
}

down() {
  local dir="${1:-${MAGNET_CLUSTER_DIR:-}}"
  [[ -n "$dir" && -f "$dir/env" ]] || return 0
  local pid
  if [[ -f "$dir/server.pid" ]]; then
    pid="$(cat "$dir/server.pid")"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [[ -f "$dir/pg/data/postmaster.pid" ]]; then
    as_pg "$(state "$dir" PG_BIN)/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 ||
      kill -KILL "$(head -n1 "$dir/pg/data/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
  log "stopped the server and PostgreSQL, deleted $dir"
}

run_test() {
  local t0=$SECONDS dir
  install_server
  dir="$(mktemp -d /tmp/magnet-cluster.XXXXXX)"
  trap 'exit 130' INT TERM
  # up stops what it started if it fails (its own trap, cleared when it succeeds)
  up "$dir" >/dev/null
  # from here whatever happens (a failed test, Ctrl-C), the server and PostgreSQL go with the folder; the trap
  # runs at the script's exit, after run_test's locals are gone, so it reads a global
  TEST_DIR="$dir"
  trap 'down "$TEST_DIR"' EXIT
  log "cluster up in $((SECONDS - t0)) s"
  (cd "$ROOT" && MAGNET_CLUSTER_DIR="$dir" npx jest --selectProjects cluster)
  log "test:cluster passed in $((SECONDS - t0)) s"
}

case "${1:-}" in
  install) install_server ;;
  up) up "${2:-}" ;;
  server) server "${2:-}" ;;
  down) down "${2:-}" ;;
  test) run_test ;;
  *) die "usage: local.sh install | up [DIR] | server [DIR] | down [DIR] | test" ;;
esac
