#!/usr/bin/env bash
# Cold-start benchmark: a fresh JVM running the smoke program (simulated host with QEMU's edu, DMA
# map, config read, one INTx interrupt; conformance-tests/src/smoke) against a hello-world JVM that
# makes one FFM downcall. Prints medians and the ratio; the report goes to
# conformance-tests/target/bench/coldstart.txt.
#   bash conformance-tests/src/bench/coldstart/coldstart.sh [ROUNDS]      (default 20)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
rounds="${1:-20}"

java_ok() { # prints the JDK home if it is a JDK >= 22
  local v
  [ -x "$1/bin/javac" ] || return 1
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ -n "$v" ] && [ "${v%%.*}" -ge 22 ] && echo "$1"
}
jdk=""
[ -n "${JAVA_HOME:-}" ] && jdk=$(java_ok "$JAVA_HOME" || true)
if [ -z "$jdk" ]; then
  for d in /usr/lib/jvm/*/; do jdk=$(java_ok "${d%/}" || true); [ -n "$jdk" ] && break; done
fi
[ -n "$jdk" ] || { echo "coldstart: no JDK 22 or newer (JAVA_HOME, /usr/lib/jvm)" >&2; exit 1; }

out="$root/conformance-tests/target/bench"
mkdir -p "$out"
echo "coldstart: building the modules and the fixtures' runtime class path (mvn -q package) ..." >&2
(cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -pl fixtures -am package \
   org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
   -DincludeScope=runtime -Dmdep.outputFile=target/runtime.classpath) >&2
# What a user depending on vfio4j-fixtures gets: its jar, its runtime dependencies.
path="$root/fixtures/target/vfio4j-fixtures-0.1.0-SNAPSHOT.jar:$(cat "$root/fixtures/target/runtime.classpath")"
# Maven lists the reactor's own modules as target/classes; use their jars, as a user would.
path=$(echo "$path" | sed -E "s#$root/(api|simulated-backend)/target/classes#$root/\1/target/vfio4j-\1-0.1.0-SNAPSHOT.jar#g")

rm -rf "$out/smoke" "$out/hello"
"$jdk/bin/javac" -d "$out/smoke" --module-path "$path" \
  --module-source-path "org.vfio4j.smoke=$root/conformance-tests/src/smoke/java" -m org.vfio4j.smoke
"$jdk/bin/javac" -d "$out/hello" "$here/hello/Hello.java"

java="$jdk/bin/java"
"$java" -version 2>&1 | head -1 | tee "$out/coldstart.txt"
"$java" "$here/ColdStart.java" "$rounds" \
  "hello, class path=$java --enable-native-access=ALL-UNNAMED -cp $out/hello Hello" \
  "smoke, module path?ok=$java --module-path $path:$out/smoke -m org.vfio4j.smoke/org.vfio4j.smoke.Smoke" \
  "smoke, class path?ok=$java -cp $path:$out/smoke/org.vfio4j.smoke org.vfio4j.smoke.Smoke" \
  | tee -a "$out/coldstart.txt"
