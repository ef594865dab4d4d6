# Sourced by .ci/test and .ci/load: a throwaway PostgreSQL cluster on
# loopback, stopped on exit, its admin URL in BUNQ_OAUTH_TEST_POSTGRES.
# Reuses BUNQ_OAUTH_TEST_POSTGRES if it is already set; installs Debian's
# postgresql package if it is missing. Needs the caller's as_root.
if [ -z "${BUNQ_OAUTH_TEST_POSTGRES:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ -z "${BUNQ_OAUTH_TEST_POSTGRES:-}" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  data=$(mktemp -d /tmp/bunq-oauth-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # PostgreSQL refuses to run as root: as root, run it as the postgres user.
  run=()
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$data/db" -U postgres --auth=trust -E UTF8 >/dev/null
  # A scratch cluster: no fsync, sockets in its own directory.
  "${run[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/log" -w \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  trap '"${run[@]}" "$bin/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$data"' EXIT
  export BUNQ_OAUTH_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
fi
