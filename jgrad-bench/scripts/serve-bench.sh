#!/usr/bin/env bash
# The serving benchmark of docs/SERVING.md: one-sample requests for the Fashion-MNIST MLP
# (784-256-128-10) with wrk on loopback, at concurrency 1, 16 and 64, batching on and off,
# served by `jgrad serve` (jetty), by the same Jetty server and protocol with ONNX Runtime's CPU
# provider computing the answers from the model exported by jgrad (ort), and by the same protocol
# over the JDK's HttpServer (jdk).
#   jgrad-bench/scripts/serve-bench.sh MODEL [SECONDS]        the table
#   jgrad-bench/scripts/serve-bench.sh MODEL soak [SECONDS]   valid and invalid requests side by side (default 300 s)
#   KINDS="jetty ort" ...                                     some servers only (default: jetty ort jdk)
#   WINDOW=100 ...                                            the batching window in µs (default 200)
#   JGRAD_JAR=/tmp/base.jar ...                               jetty from another build's jgrad.jar (a change side by side)
# Needs wrk (apt-get install wrk), the Fashion-MNIST files (apt-get install dataset-fashion-mnist)
# and, for ort, ONNX Runtime's jar in ~/.m2 (Maven fetches it when jgrad-bench builds).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
model="$(readlink -f "$1")"
if [ "${2:-}" = soak ]; then mode=soak; seconds="${3:-300}"; else mode=table; seconds="${2:-10}"; fi
data=/usr/share/datasets/fashion-mnist
port=18080
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
source "$here/scripts/find-jdk.sh"
(cd "$here" && JAVA_HOME="$JAVA_HOME" MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -B -q -ntp -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip package -pl jgrad-bench,jgrad-cli -am) >&2
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseG1GC -Xmx1g)
bench=("${java[@]}" -cp "$here/jgrad-bench/target/jgrad-bench.jar" dev.jgrad.bench.ServeBench)
ort_jar="${ORT_JAR:-$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.22.0/onnxruntime-1.22.0.jar}"
window="${WINDOW:-200}"
"${bench[@]}" request "$data" 0 "$work/one.json"

echo "# $(date -u +%FT%TZ)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/one.json"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.0f %.3f %.3f %d\n", summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
LUA

start_server() { # kind batching
  if [ "$1" = jetty ]; then
    local b=--batching; [ "$2" = on ] || b=--no-batching
    "${java[@]}" -jar "${JGRAD_JAR:-$here/jgrad-cli/target/jgrad.jar}" serve --model "$model" --port $port $b --batch-window-us "$window" >"$work/server.log" 2>&1 &
  elif [ "$1" = ort ]; then
    "${java[@]}" --enable-native-access=ALL-UNNAMED -cp "$here/jgrad-bench/target/jgrad-bench.jar:$ort_jar" \
      dev.jgrad.bench.ServeBench ort "$model" $port "$2" "$window" >"$work/server.log" 2>&1 &
  else
    "${bench[@]}" jdk "$model" $port "$2" >"$work/server.log" 2>&1 &
  fi
  server=$!
  for _ in $(seq 120); do
    if curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1; then
      [ "$1" = ort ] && grep -E '^onnxruntime|^largest' "$work/server.log" | sed 's/^/# /'
      return 0
    fi
    sleep 0.5
  done
  echo "server did not start:"; cat "$work/server.log"; exit 1
}
# CPU seconds the server process has used: with the machine shared, req/s move with the load,
# requests per CPU-second of the server much less.
cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$server/stat"; }
stop_server() { kill -TERM "$server"; wait "$server" 2>/dev/null || true; }

name="$(basename "$model" .safetensors)"
url="http://127.0.0.1:$port/v2/models/$name/infer"

if [ "$mode" = soak ]; then
  start_server jetty on
  pid=$server
  wrk -t1 -c16 -d5s -s "$work/post.lua" "$url" >/dev/null   # warm-up
  "$JAVA_HOME/bin/jcmd" $pid GC.run >/dev/null; sleep 1
  echo "heap before: $("$JAVA_HOME/bin/jcmd" $pid GC.heap_info | grep -m1 -o 'used [0-9]*K')"
  # The invalid side cycles through refusals; each must be a 4xx, never a 5xx.
  cat > "$work/bad.lua" <<LUA
local f = io.open("$work/one.json"); local ok = f:read("*a"); f:close()
local bodies = {
  ok:gsub('%[1,784%]', '[1,783]'),                 -- wrong width
  ok:gsub('FP32', 'INT64'),                         -- wrong datatype
  ok:gsub('"data":%[0,', '"data":[NaN,'),           -- not JSON
  ok:gsub('"data":%[0,', '"data":["x",'),           -- a string among numbers
  ok:gsub('"data":%[0,', '"data":[1e39,'),          -- not finite in FP32
  '{"inputs":[{"name":"input"',                     -- malformed
  '{"id":"no inputs"}',                             -- missing field
  string.rep("[", 100000),                          -- deep nesting
}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
local counts = {}
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("BAD %d requests, non-4xx answers: %d\n", summary.requests, summary.errors.status))
end
LUA
  wrk -t1 -c4 -d"${seconds}s" -s "$work/bad.lua" "$url" > "$work/bad.txt" &
  bad=$!
  wrk -t1 -c16 -d"${seconds}s" --latency -s "$work/post.lua" "$url" > "$work/good.txt"
  wait $bad || true
  "$JAVA_HOME/bin/jcmd" $pid GC.run >/dev/null; sleep 1
  echo "heap after:  $("$JAVA_HOME/bin/jcmd" $pid GC.heap_info | grep -m1 -o 'used [0-9]*K')"
  read -r _ n err rps p50 p99 status < <(grep RESULT "$work/good.txt")
  echo "valid:   $n requests in ${seconds} s, $rps/s, p50 $p50 ms, p99 $p99 ms, errors $err (non-2xx $status)"
  echo "invalid: $(grep -o 'Non-2xx.*' "$work/bad.txt" || true) $(grep -m1 'requests in' "$work/bad.txt")"
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^jgrad_http_requests_total|^jgrad_inference_(requests|errors)_total' 
  stop_server
  exit 0
fi

[ -n "${JGRAD_JAR:-}" ] && echo "# jetty: $JGRAD_JAR"
echo "# batching window ${window} us; load1: the 1-minute load average just before the cell"
printf '%-6s %-9s %5s %10s %9s %9s %7s %12s %6s\n' server batching conc 'req/s' 'p50 ms' 'p99 ms' errors 'req/CPU-s' load1
echo "# req/CPU-s: requests per CPU-second the server process used during the run"
for kind in ${KINDS:-jetty ort jdk}; do
  for batching in on off; do
    start_server $kind $batching
    wrk -t2 -c16 -d3s -s "$work/post.lua" "$url" >/dev/null   # warm-up
    for c in 1 16 64; do
      t=2; [ $c = 1 ] && t=1
      load=$(cut -d' ' -f1 /proc/loadavg)
      c0=$(cpu)
      read -r _ n err rps p50 p99 status < <(wrk -t$t -c$c -d"${seconds}s" --latency -s "$work/post.lua" "$url" | grep RESULT)
      c1=$(cpu)
      printf '%-6s %-9s %5d %10s %9s %9s %7s %12.0f %6s\n' $kind $batching $c "$rps" "$p50" "$p99" "$err" "$(echo "$n / ($c1 - $c0)" | bc -l)" "$load"
    done
    stop_server
  done
done
