#!/usr/bin/env bash
# Checks that what the launcher does for start-up speed changes no result: a seeded training run
# writes the same model file (sha256) with and without the ahead-of-time cache, and predict
# writes the same bytes with and without it, with the serial collector the launcher picks for
# short commands and with G1, compiled only by C1, and interpreted only (-Xint); and that the
# warm-up's throw-away copy of the network (jgrad train) changes no bit of the real run, on one
# and two threads, with dropout drawing from the network's generator. Exits 1 on any
# difference. Uses ./jgrad (which builds the jar and the cache when needed); about a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/find-jdk.sh"
jgrad="$root/jgrad"
jar="$root/jgrad-cli/target/jgrad.jar"
aot="$root/jgrad-cli/target/jgrad.aot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$jgrad" --version >/dev/null 2>&1 # builds the jar and the cache if needed
[ -f "$aot" ] || { echo "startup-same-bits: no ahead-of-time cache was made ($aot)" >&2; exit 1; }
fail=0
same() { # label, then files: all must hold the same bytes
  local label=$1 first=$2 f; shift 2
  for f in "$@"; do
    if ! cmp -s "$first" "$f"; then echo "DIFFERENT: $label: $(basename "$first") vs $(basename "$f")"; fail=1; fi
  done
  echo "$label: $(sha256sum "$first" | cut -c1-16)… in $(($# + 1)) runs"
}

train=(train --epochs 2 --seed 7 --quiet)
"$jgrad" "${train[@]}" --out "$tmp/cache.safetensors" >/dev/null 2>&1
JGRAD_AOT=0 "$jgrad" "${train[@]}" --out "$tmp/nocache.safetensors" >/dev/null 2>&1
same "seeded training, with and without the cache" "$tmp/cache.safetensors" "$tmp/nocache.safetensors"

# The warm-up's copy: none (-Djgrad.warmUp.steps=0), the default, and a long one, on 1 and 2 threads.
copy=(train --epochs 2 --seed 11 --dropout 0.1 --validation 0.1 --quiet)
for t in 1 2; do
  for s in 0 default 400; do
    opts=""; [ "$s" = default ] || opts="-Djgrad.warmUp.steps=$s"
    JGRAD_JAVA_OPTS="$opts" "$jgrad" "${copy[@]}" --threads $t --out "$tmp/copy-$t-$s.safetensors" >/dev/null 2>&1
  done
done
same "seeded training with the warm-up's copy (none, default, 400 steps; 1 and 2 threads)" "$tmp/copy-1-0.safetensors" \
  "$tmp"/copy-1-{default,400}.safetensors "$tmp"/copy-2-{0,default,400}.safetensors

# Three built-in-digits-like rows, and 600 rows made of them, so that the kernels also run compiled.
rows3="$tmp/rows3.csv" rows600="$tmp/rows600.csv"
printf '%s\n' \
  0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0 \
  0,0,0,12,13,5,0,0,0,0,0,11,16,9,0,0,0,0,3,15,16,6,0,0,0,7,15,16,16,2,0,0,0,0,1,16,16,3,0,0,0,0,1,16,16,6,0,0,0,0,1,16,16,6,0,0,0,0,0,11,16,10,0,0 \
  0,0,0,4,15,12,0,0,0,0,3,16,15,14,0,0,0,0,8,13,8,16,0,0,0,0,1,6,15,11,0,0,0,1,8,13,15,1,0,0,0,9,16,16,5,0,0,0,0,3,13,16,16,11,5,0,0,0,0,3,11,16,9,0 \
  > "$rows3"
for _ in $(seq 200); do cat "$rows3"; done > "$rows600"
model="$tmp/cache.safetensors"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector)
cache=(-XX:AOTCache="$aot" -Xlog:aot=off -Xlog:cds=off)
for rows in "$rows3" "$rows600"; do
  n=$(basename "$rows" .csv)
  "$jgrad" predict --model "$model" --input "$rows" > "$tmp/$n.launcher" 2>/dev/null
  JGRAD_AOT=0 "$jgrad" predict --model "$model" --input "$rows" > "$tmp/$n.nocache" 2>/dev/null
  "${java[@]}" -XX:+UseG1GC "${cache[@]}" -jar "$jar" predict --model "$model" --input "$rows" > "$tmp/$n.g1" 2>/dev/null
  "${java[@]}" -XX:+UseG1GC -jar "$jar" predict --model "$model" --input "$rows" > "$tmp/$n.g1-nocache" 2>/dev/null
  "${java[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${cache[@]}" -jar "$jar" predict --model "$model" --input "$rows" > "$tmp/$n.c1" 2>/dev/null
  outs=("$tmp/$n.nocache" "$tmp/$n.g1" "$tmp/$n.g1-nocache" "$tmp/$n.c1")
  if [ "$n" = rows3 ]; then
    "${java[@]}" -Xint -jar "$jar" predict --model "$model" --input "$rows" > "$tmp/$n.xint" 2>/dev/null
    outs+=("$tmp/$n.xint")
  fi
  same "predict $n: launcher (serial GC, cache), no cache, G1 with and without the cache, C1 only$([ "$n" = rows3 ] && echo ", interpreted")" \
    "$tmp/$n.launcher" "${outs[@]}"
done
[ "$(wc -l < "$tmp/rows600.launcher")" = 601 ] || { echo "startup-same-bits: predict wrote $(wc -l < "$tmp/rows600.launcher") lines, 601 expected"; fail=1; }
exit $fail
