#!/usr/bin/env bash
# Fetches and builds everything the compat tests drive, into .cache/ at the repository root:
#   .cache/java/<name>-<version>/   runtime classpaths of the published RocketMQ artifacts (Maven)
#   .cache/java/classes/<set>/      our Java driver programs, compiled against those jars (driver.jar)
#   .cache/java/cds/<name>.jsa      class-data-sharing archives of the JVMs the suite starts most
#   .cache/go/godriver              our Go driver, built against rocketmq-client-go/v2 (Go proxy)
#   .cache/go/go5driver             our driver of the Go 5.x gRPC SDK (rocketmq-clients/golang/v5)
#   .cache/python/rocketmq/         the C++ client: librocketmq as bundled by the PyPI package
#                                   `rocketmq`, with its ctypes binding (compat-tests/python drives it)
#   .cache/python5/                 the Python 5.x gRPC SDK (PyPI `rocketmq-python-client`) and its
#                                   dependencies, pinned in compat-tests/python/sdk5-requirements.txt
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

# want NAME ARTIFACT VERSION: the runtime classpath of org.apache.rocketmq:ARTIFACT:VERSION goes to
# .cache/java/NAME-VERSION, unless it is there already.
pending=()
want() {
  if [ ! -f "$cache/java/$1-$3/.complete" ]; then pending+=("$1 $2 $3"); fi
}

want namesrv rocketmq-namesrv 5.3.3
want broker rocketmq-broker 5.3.3
want broker rocketmq-broker 4.9.7
want tools rocketmq-tools 5.3.3
want client rocketmq-client 5.3.3
want client rocketmq-client 4.9.8
want tools rocketmq-tools 4.9.8
# The 5.x gRPC side: Java's proxy (in cluster mode in front of a NameServer and broker) and the
# gRPC SDK, whose newest 5.0.x is one shaded jar.
want proxy rocketmq-proxy 5.3.3
want grpc-client rocketmq-client-java 5.0.8

# All of them in one Maven run (one JVM start, not one per artifact): a reactor with a module per
# artifact, each a copy of fetch-pom.xml with its coordinates and output directory.
if [ "${#pending[@]}" -gt 0 ]; then
  reactor="$cache/java/.fetch"
  rm -rf "$reactor" && mkdir -p "$reactor"
  modules=""
  for p in "${pending[@]}"; do
    read -r name artifact version <<< "$p"
    log "resolving org.apache.rocketmq:$artifact:$version"
    rm -rf "$cache/java/$name-$version"
    mkdir -p "$reactor/$name-$version"
    sed -e "s|<artifactId>fetch</artifactId>|<artifactId>fetch-$name-$version</artifactId>|" \
        -e "s|<rmq.artifact>.*</rmq.artifact>|<rmq.artifact>$artifact</rmq.artifact>|" \
        -e "s|<rmq.version>.*</rmq.version>|<rmq.version>$version</rmq.version>|" \
        -e "s|<rmq.out>.*</rmq.out>|<rmq.out>$cache/java/$name-$version</rmq.out>|" \
        "$here/java/fetch-pom.xml" > "$reactor/$name-$version/pom.xml"
    modules+="<module>$name-$version</module>"
  done
  cat > "$reactor/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>thrust.compat</groupId>
  <artifactId>fetch-all</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <modules>$modules</modules>
</project>
EOF
  bounded 1800 mvn -B -q -Dstyle.color=never -f "$reactor/pom.xml" -Dmaven.repo.local="$m2" \
    dependency:copy-dependencies >&2
  for p in "${pending[@]}"; do
    read -r name artifact version <<< "$p"
    touch "$cache/java/$name-$version/.complete"
  done
  rm -rf "$reactor"
fi

# sources_hash DIR...: a digest of every source file, so a stamp can tell when to rebuild.
sources_hash() { find "$@" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1; }

# javac_set NAME CLASSPATH_DIR SOURCE...: compile one source set (directories and files) against
# one classpath.
# classes/NAME is a link to a directory per source digest, swapped in with one rename, so a test
# running meanwhile loads the old set or the new one, never a half-built one. The set just
# replaced is kept (such a test may still load from it); older ones are removed.
javac_set() {
  local link="$cache/java/classes/$1" stamp dir prev d
  stamp="$(sources_hash "${@:3}")-$(basename "$2")-jar"
  if [ -f "$link/.stamp" ] && [ "$(cat "$link/.stamp")" = "$stamp" ]; then return; fi
  log "compiling Java driver set $1"
  dir="$cache/java/classes/.$1-$$"
  rm -rf "$dir" && mkdir -p "$dir"
  # shellcheck disable=SC2046
  bounded 300 javac -nowarn -encoding UTF-8 -d "$dir" -cp "$2/*" $(find "${@:3}" -name '*.java') >&2
  # A jar, not the directory, goes on the classpath: CDS archives only classes from jars.
  bounded 120 jar --create --file "$dir/driver.jar" -C "$dir" . >&2
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
# The gRPC SDK driver shares the client drivers' argument parsing and JSON lines.
javac_set grpc-5.0.8 "$cache/java/grpc-client-5.0.8" "$here/java/grpc" \
  "$here/java/client/thrust/compat/"{Args,Json,Modes}.java

# The Go driver: module cache under .cache so a fresh clone needs nothing from $HOME. Both Go
# drivers take their output and argument helpers from the local module godriverio. Both are built
# without cgo and without the compiler's optimizations and inlining (the clients' code is the same;
# a driver sends a few messages): on a cold build cache the two take 81 s of CPU instead of 113 s.
go_build() { CGO_ENABLED=0 bounded 900 go build -gcflags=all=-N\ -l "$@"; }
go_stamp="$(sources_hash "$here/go" "$here/godriverio")"
if [ ! -x "$cache/go/godriver" ] || [ "$(cat "$cache/go/.stamp" 2>/dev/null)" != "$go_stamp" ]; then
  log "building the Go driver"
  (cd "$here/go" && GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw go_build -o "$cache/go/godriver" . >&2)
  echo "$go_stamp" > "$cache/go/.stamp"
fi

# The Go 5.x gRPC SDK's driver, a module of its own (the SDK's dependencies differ from v2's).
go5_stamp="$(sources_hash "$here/go5" "$here/godriverio")"
if [ ! -x "$cache/go/go5driver" ] || [ "$(cat "$cache/go/.stamp-go5" 2>/dev/null)" != "$go5_stamp" ]; then
  log "building the Go 5.x SDK driver"
  (cd "$here/go5" && GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw go_build -o "$cache/go/go5driver" . >&2)
  echo "$go5_stamp" > "$cache/go/.stamp-go5"
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

# The Python 5.x gRPC SDK with exactly the pinned dependencies (wheels for this python3), into a
# directory swapped in whole; the import check loads grpcio and the generated protocol once.
py5_reqs="$here/python/sdk5-requirements.txt"
py5_stamp="$(python3 --version 2>&1) $(sha256sum < "$py5_reqs" | cut -d' ' -f1)"
if [ "$(cat "$cache/python5/.stamp" 2>/dev/null)" != "$py5_stamp" ]; then
  log "installing the Python 5.x gRPC SDK"
  rm -rf "$cache/.python5-"*
  tmp="$cache/.python5-$$"
  PIP_ROOT_USER_ACTION=ignore bounded 900 python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --target "$tmp" -r "$py5_reqs" >&2
  HOME="$tmp" PYTHONPATH="$tmp" python3 -c 'import rocketmq; rocketmq.SimpleConsumer' >&2
  rm -rf "$tmp/logs"
  echo "$py5_stamp" > "$tmp/.stamp"
  rm -rf "$cache/python5" && mv "$tmp" "$cache/python5"
fi

# Class-data-sharing archives (-XX:SharedArchiveFile, JDK 17's dynamic archives) for the JVMs the
# suite starts most often: the Java NameServer and broker 5.3.3 and the Java driver on clients
# 5.3.3 and 4.9.8. Each is recorded by one run of the real program — the NameServer and the broker
# up, a driver's produce-and-consume round trip through them — and takes a fifth to a third off a
# start-up's CPU. The harness (compat-tests/src/env.rs `cds_archive`) uses an archive only when it
# exists, with the same classpath and JVM flags as here; a failed recording costs speed, never a
# test.
record_cds() {
  local out="$cache/java/cds" stamp tmp ports ns_port br_port ns_pid br_pid ok=1 f
  stamp="$(java -version 2>&1 | head -1)"
  for f in namesrv-5.3.3 broker-5.3.3 client-5.3.3 client-4.9.8; do
    stamp="$stamp $(stat -c %Y "$cache/java/$f/.complete")"
  done
  stamp="$stamp $(cat "$cache/java/classes/client-5.3.3/.stamp" "$cache/java/classes/client-4.9.8/.stamp" | tr '\n' ' ')"
  if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  log "recording class-data-sharing archives"
  tmp="$cache/java/.cds-$$"
  rm -rf "$cache/java/.cds-"* "$out" && mkdir -p "$tmp/home"
  # Free ports: one for the NameServer, and a broker port whose -2 (VIP) and +1 (HA) are free too.
  ports="$(python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    n, b = random.randrange(20000, 29000), random.randrange(20000, 29000)
    if abs(n - b) > 3 and all(free(p) for p in (n, b - 2, b, b + 1)):
        print(n, b); break
PY
)"
  read -r ns_port br_port <<< "$ports"
  local jvm=(-XX:+UseSerialGC -XX:-UsePerfData -Djava.net.preferIPv4Stack=true "-Duser.home=$tmp/home")
  printf 'listenPort=%s\nbindAddress=127.0.0.1\n' "$ns_port" > "$tmp/namesrv.conf"
  printf '%s\n' brokerClusterName=CdsCluster brokerName=cds brokerId=0 "listenPort=$br_port" \
    "haListenPort=$((br_port + 1))" bindAddress=127.0.0.1 brokerIP1=127.0.0.1 \
    "namesrvAddr=127.0.0.1:$ns_port" "storePathRootDir=$tmp/store" mappedFileSizeCommitLog=67108864 \
    autoCreateTopicEnable=true > "$tmp/broker.conf"
  ROCKETMQ_HOME="$tmp/home" timeout -k 90 300 java -Xms128m -Xmx256m "${jvm[@]}" -XX:TieredStopAtLevel=1 \
    "-XX:ArchiveClassesAtExit=$tmp/namesrv-5.3.3.jsa" -cp "$cache/java/namesrv-5.3.3/*" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$tmp/namesrv.conf" > "$tmp/namesrv.out" 2>&1 &
  ns_pid=$!
  ROCKETMQ_HOME="$tmp/home" timeout -k 90 300 java -Xms256m -Xmx512m --add-exports=java.base/sun.nio.ch=ALL-UNNAMED "${jvm[@]}" \
    "-XX:ArchiveClassesAtExit=$tmp/broker-5.3.3.jsa" -cp "$cache/java/broker-5.3.3/*" \
    org.apache.rocketmq.broker.BrokerStartup -c "$tmp/broker.conf" > "$tmp/broker.out" 2>&1 &
  br_pid=$!
  local deadline=$((SECONDS + 180))
  # Up, and the broker registered (the driver needs the route of the default topic).
  until grep -qs "new broker registered" "$tmp/home/logs/rocketmqlogs/namesrv.log"; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 $ns_pid 2>/dev/null || ! kill -0 $br_pid 2>/dev/null; then
      ok=0; break
    fi
    sleep 0.2
  done
  for f in 5.3.3 4.9.8; do
    [ $ok = 1 ] || break
    bounded 180 java -Xms64m -Xmx384m "${jvm[@]}" -XX:TieredStopAtLevel=1 \
      "-XX:ArchiveClassesAtExit=$tmp/client-$f.jsa" \
      -cp "$cache/java/classes/client-$f/driver.jar:$cache/java/client-$f/*" thrust.compat.ClientDriver \
      roundtrip "ns=127.0.0.1:$ns_port" topic=CdsTopic "group=cds_${f//./_}" count=4 expect=4 \
      > "$tmp/client-$f.out" 2>&1 || ok=0
  done
  # The archives are written as the JVMs exit (`timeout`, not a function, so that $! is its pid,
  # passes the TERM on and bounds the wait).
  kill $br_pid $ns_pid 2>/dev/null || true
  wait $br_pid $ns_pid 2>/dev/null || true
  for f in namesrv-5.3.3 broker-5.3.3 client-5.3.3 client-4.9.8; do [ -s "$tmp/$f.jsa" ] || ok=0; done
  if [ $ok = 1 ]; then
    mkdir -p "$out" && mv "$tmp"/*.jsa "$out/" && echo "$stamp" > "$out/.stamp"
    rm -rf "$tmp"
  else
    log "warning: recording the class-data-sharing archives failed (see $tmp); JVMs start without them"
  fi
}
record_cds
