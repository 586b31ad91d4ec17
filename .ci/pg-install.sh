#!/usr/bin/env bash
# Install PostgreSQL 15 and pgvector from Debian packages, idempotently (each step is skipped when its result is
# already there). pgvector is not packaged for bookworm: build Debian trixie's own source package (0.8.0) against
# postgresql-server-dev-15. The trixie deb-src entry exists only for the `apt-get source` call and is removed
# afterwards, so every other package keeps coming from bookworm. OPTFLAGS="" drops pgvector's default
# -march=native, which would make the library crash ("Illegal instruction") on a different CPU.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
PGV=15
PGBIN=/usr/lib/postgresql/$PGV/bin
need=()
[ -x "$PGBIN/initdb" ] || need+=("postgresql-$PGV")
[ -x "$PGBIN/pg_config" ] || [ -x /usr/bin/pg_config ] || need+=("postgresql-server-dev-$PGV")
command -v make >/dev/null || need+=(make)
command -v gcc >/dev/null || need+=(gcc)
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
if [ ! -f "/usr/share/postgresql/$PGV/extension/vector.control" ]; then
  # building needs the server headers even when postgres itself is there
  dpkg -s "postgresql-server-dev-$PGV" >/dev/null 2>&1 || need+=("postgresql-server-dev-$PGV")
fi
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ ! -f "/usr/share/postgresql/$PGV/extension/vector.control" ]; then
  src=/etc/apt/sources.list.d/openpapers-trixie-src.list
  work=$(mktemp -d)
  trap 'rm -f "$src"; rm -rf "$work"; apt-get update -qq || true' EXIT
  echo "deb-src http://deb.debian.org/debian trixie main" > "$src"
  apt-get update -qq
  # 0.8.0-1 is what was tested; should trixie have moved on, take its current pgvector (0.8.x keeps the API).
  (cd "$work" && { apt-get source -qq --download-only pgvector=0.8.0-1 || apt-get source -qq --download-only pgvector; } \
     && dpkg-source -x pgvector_*.dsc pgvector-src >/dev/null)
  rm -f "$src"
  make -C "$work/pgvector-src" OPTFLAGS="" PG_CONFIG="$PGBIN/pg_config" >/dev/null
  make -C "$work/pgvector-src" OPTFLAGS="" PG_CONFIG="$PGBIN/pg_config" install >/dev/null
fi
test -f "/usr/share/postgresql/$PGV/extension/vector.control"
