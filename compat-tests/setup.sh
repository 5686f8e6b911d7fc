#!/usr/bin/env bash
# Fetches and builds everything the compat tests drive, into .cache/ at the repository root:
#   .cache/java/<name>-<version>/   runtime classpaths of the published RocketMQ artifacts (Maven)
#   .cache/java/classes/<set>/      our Java driver programs, compiled against those jars
#   .cache/go/godriver              our Go driver, built against rocketmq-client-go/v2 (Go proxy)
#   .cache/python/rocketmq/         the C++ client: librocketmq as bundled by the PyPI package
#                                   `rocketmq`, with its ctypes binding (compat-tests/python drives it)
# Idempotent: every step is skipped when its stamp matches, so a cached run takes well under a second.
# Needs only java/javac, mvn, go and python3 (with pip) plus the package registries (first run);
# later runs work offline.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="$root/.cache"
m2="$cache/m2"
mkdir -p "$cache/java/classes" "$cache/go"

log() { echo "compat-tests/setup: $*" >&2; }

# Runs a command under a time limit so a stuck registry can never stall the suite.
bounded() { timeout -k 10 "$@"; }

# fetch NAME ARTIFACT VERSION: resolve the runtime classpath of org.apache.rocketmq:ARTIFACT:VERSION.
fetch() {
  local dir="$cache/java/$1-$3"
  if [ -f "$dir/.complete" ]; then return; fi
  log "resolving org.apache.rocketmq:$2:$3"
  rm -rf "$dir"
  bounded 900 mvn -B -q -Dstyle.color=never -f "$here/java/fetch-pom.xml" -Dmaven.repo.local="$m2" \
    -Drmq.artifact="$2" -Drmq.version="$3" -Drmq.out="$dir" dependency:copy-dependencies >&2
  touch "$dir/.complete"
}

fetch namesrv rocketmq-namesrv 5.3.3
fetch broker rocketmq-broker 5.3.3
fetch broker rocketmq-broker 4.9.7
fetch tools rocketmq-tools 5.3.3
fetch client rocketmq-client 5.3.3
fetch client rocketmq-client 4.9.8
fetch tools rocketmq-tools 4.9.8

# sources_hash DIR...: a digest of every source file, so a stamp can tell when to rebuild.
sources_hash() { find "$@" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1; }

# javac_set NAME CLASSPATH_DIR SOURCE_DIR: compile one source set against one classpath.
# classes/NAME is a link to a directory per source digest, swapped in with one rename, so a test
# running meanwhile loads the old set or the new one, never a half-built one. The set just
# replaced is kept (such a test may still load from it); older ones are removed.
javac_set() {
  local link="$cache/java/classes/$1" stamp dir prev d
  stamp="$(sources_hash "$3")-$(basename "$2")"
  if [ -f "$link/.stamp" ] && [ "$(cat "$link/.stamp")" = "$stamp" ]; then return; fi
  log "compiling Java driver set $1"
  dir="$cache/java/classes/.$1-$$"
  rm -rf "$dir" && mkdir -p "$dir"
  # shellcheck disable=SC2046
  bounded 300 javac -nowarn -encoding UTF-8 -d "$dir" -cp "$2/*" $(find "$3" -name '*.java') >&2
  echo "$stamp" > "$dir/.stamp"
  prev="$(readlink "$link" 2>/dev/null || true)"
  [ -L "$link" ] || rm -rf "$link"
  ln -sfn "$dir" "$link.new" && mv -T "$link.new" "$link"
  for d in "$cache/java/classes/.$1-"*; do
    [ "$d" = "$dir" ] || [ "$d" = "$prev" ] || rm -rf "$d"
  done
}

javac_set client-5.3.3 "$cache/java/client-5.3.3" "$here/java/client"
javac_set client-4.9.8 "$cache/java/client-4.9.8" "$here/java/client"
javac_set golden-5.3.3 "$cache/java/tools-5.3.3" "$here/java/golden"
javac_set admin-5.3.3 "$cache/java/tools-5.3.3" "$here/java/admin"
# The ACL 1.0 matrix: client 4.9.8 with rocketmq-acl and rocketmq-tools 4.9.8 (its dependencies).
javac_set acl-4.9.8 "$cache/java/tools-4.9.8" "$here/java/acl"

# The Go driver: module cache under .cache so a fresh clone needs nothing from $HOME.
go_stamp="$(sources_hash "$here/go")"
if [ ! -x "$cache/go/godriver" ] || [ "$(cat "$cache/go/.stamp" 2>/dev/null)" != "$go_stamp" ]; then
  log "building the Go driver"
  (cd "$here/go" && GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw bounded 900 \
    go build -o "$cache/go/godriver" . >&2)
  echo "$go_stamp" > "$cache/go/.stamp"
fi

# The C++ client (librocketmq 1.x, x86-64 Linux, bundled with its ctypes binding in the PyPI wheel
# `rocketmq`), installed under .cache; the import check loads the shared library once.
cpp_pkg="rocketmq==0.4.4"
if [ "$(cat "$cache/python/.stamp" 2>/dev/null)" != "$cpp_pkg" ]; then
  log "installing the C++ client ($cpp_pkg)"
  rm -rf "$cache/python"
  PIP_ROOT_USER_ACTION=ignore bounded 600 python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --target "$cache/python" "$cpp_pkg" >&2
  PYTHONPATH="$cache/python" python3 -c 'import rocketmq.client' >&2
  echo "$cpp_pkg" > "$cache/python/.stamp"
fi
