#!/usr/bin/env bash
# Fuzzes jgrad's file readers with Jazzer, one target at a time (Jazzer fuzzes one test per JVM).
#   scripts/fuzz.sh [seconds per target] [target ...]
#   targets: json modelFile checkpoint idx csv (jgrad-core's ReadersFuzzTest) and onnx
#   (jgrad-onnx's OnnxFuzzTest, the ONNX importer); default: all, e.g. scripts/fuzz.sh 300 idx onnx
#   scripts/fuzz.sh --seeds    rewrites the seed corpora from dev.jgrad.fuzz.FuzzCorpus and
#                              dev.jgrad.onnx.OnnxFuzzCorpus
# A finding fails the run and Jazzer saves the input beside the seeds, in
# jgrad-core/src/test/resources/dev/jgrad/fuzz/ReadersFuzzTestInputs/<target>/crash-* (onnx:
# jgrad-onnx/src/test/resources/dev/jgrad/onnx/OnnxFuzzTestInputs/onnx/crash-*): fix the
# reader and commit the file, and every later build replays it. Inputs that reached new code are
# kept in <module>/.cifuzz-corpus (not committed) and seed the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
source ./scripts/find-jdk.sh
export JAVA_HOME
export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}"
mvn -B -ntp -q -Dstyle.color=never -pl jgrad-onnx -am test-compile
if [ "${1:-}" = "--seeds" ]; then
  mvn -B -ntp -q -pl jgrad-core,jgrad-onnx dependency:build-classpath -Dmdep.outputFile=target/fuzz-classpath.txt >/dev/null
  (cd jgrad-core && "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector \
    -cp "target/test-classes:target/classes:$(cat target/fuzz-classpath.txt)" dev.jgrad.fuzz.FuzzCorpus)
  # jgrad-core's classes come first: the class path file may name an older jgrad-core jar.
  (cd jgrad-onnx && "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector \
    -cp "target/test-classes:target/classes:../jgrad-core/target/classes:$(cat target/fuzz-classpath.txt)" dev.jgrad.onnx.OnnxFuzzCorpus)
  exit 0
fi
seconds=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json modelFile checkpoint idx csv onnx)
mkdir -p jgrad-core/target/fuzz
status=0
for t in "${targets[@]}"; do
  log=jgrad-core/target/fuzz/$t.log
  start=$(date +%s)
  if [ "$t" = onnx ]; then
    # jgrad-onnx needs jgrad-core from the reactor (test-compile puts its classes there).
    run=(-pl jgrad-onnx -am test-compile surefire:test -Dtest="OnnxFuzzTest#onnx" -Dsurefire.failIfNoSpecifiedTests=false)
  else
    run=(-pl jgrad-core surefire:test -Dtest="ReadersFuzzTest#$t")
  fi
  if JAZZER_FUZZ=1 mvn -B -ntp -Dstyle.color=never "${run[@]}" \
      -Djazzer.max_duration="${seconds}s" -Djazzer.instrumentation_includes='dev.jgrad.**' >"$log" 2>&1; then
    result="no finding"
  else
    result="FINDING (see $log)"
    status=1
  fi
  runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | grep -oE '[0-9]+' | head -1 || true)
  secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | grep -oE '[0-9]+' | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  seed=$(grep -oE 'Seed: [0-9]+' "$log" | head -1 || true)
  printf '%-11s %10s executions in %5ss of fuzzing (%ss wall), %s, %s: %s\n' "$t" "${runs:-?}" "${secs:-?}" \
    "$(( $(date +%s) - start ))" "${cov:-no coverage line}" "${seed:-no seed}" "$result"
done
exit $status
