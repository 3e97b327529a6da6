#!/usr/bin/env bash
# A Spark 4.2.0 standalone cluster on loopback, run from the Maven jars (no Spark download):
# one master and two workers of 1 core and 1 GiB each, every endpoint on 127.0.0.1.
#   scripts/spark-cluster.sh start    start it; prints the master URL (also in $DIR/master-url)
#   scripts/spark-cluster.sh stop     stop it (the workers stop their executors)
#   scripts/spark-cluster.sh status   the master URL, or exit 1 when it is not running
#   scripts/spark-cluster.sh submit CLASS [ARGS...]
#                                     runs CLASS with SparkSubmit against it (client mode; build the
#                                     jars first with ./build package): a class of jgrad-spark (the
#                                     examples), or of jgrad-bench (dev.jgrad.bench.*, the Spark
#                                     benchmarks), whose unshaded jar is then the application
#                                     (JGRAD_EXECUTOR_OPTS: more JVM options for the executors)
# DIR is jgrad-spark/target/spark-cluster (JGRAD_SPARK_CLUSTER_DIR overrides); logs are there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${JGRAD_SPARK_CLUSTER_DIR:-$ROOT/jgrad-spark/target/spark-cluster}
WORKERS=${JGRAD_SPARK_WORKERS:-2}

# The module-opening flags Spark's own launcher passes (JavaModuleOptions), and the Vector API.
JOPTS="-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector \
 --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
 --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
 --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
 --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
 --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
 --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
 --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
 -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true --enable-native-access=ALL-UNNAMED"

running() {
  [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null
}

free_port() {
  local p
  for p in $(seq "$1" "$(( $1 + 100 ))"); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port from $1" >&2; exit 1
}

start() {
  if running master; then echo "already running: $(cat "$DIR/master-url")"; return; fi
  source "$ROOT/scripts/find-jdk.sh"
  export JAVA_HOME
  export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}"
  mkdir -p "$DIR/spark-home/jars"
  mvn -B -ntp -q -f scripts/spark-cluster/pom.xml dependency:build-classpath -Dmdep.outputFile="$DIR/classpath.txt" >/dev/null
  rm -f "$DIR"/spark-home/jars/*.jar
  tr ':' '\n' < "$DIR/classpath.txt" | while read -r jar; do ln -sf "$jar" "$DIR/spark-home/jars/"; done
  # Workers launch executors from SPARK_HOME/jars; without SPARK_SCALA_VERSION the launcher
  # looks for a Spark source build.
  export SPARK_HOME="$DIR/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
  local port; port=$(free_port "${JGRAD_SPARK_PORT:-7077}")
  local url="spark://127.0.0.1:$port"
  # shellcheck disable=SC2086
  nohup "$JAVA_HOME/bin/java" $JOPTS -Xmx512m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port 0 >"$DIR/master.log" 2>&1 &
  echo $! >"$DIR/master.pid"
  for i in $(seq 1 "$WORKERS"); do
    mkdir -p "$DIR/work-$i"
    # shellcheck disable=SC2086
    nohup "$JAVA_HOME/bin/java" $JOPTS -Xmx256m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker "$url" \
      --host 127.0.0.1 --cores 1 --memory 1g --webui-port 0 --work-dir "$DIR/work-$i" >"$DIR/worker-$i.log" 2>&1 &
    echo $! >"$DIR/worker-$i.pid"
  done
  for _ in $(seq 1 120); do
    if [ "$(grep -c 'Registering worker' "$DIR/master.log" 2>/dev/null || true)" -ge "$WORKERS" ]; then
      echo "$url" >"$DIR/master-url"
      echo "$url"
      return
    fi
    sleep 0.5
  done
  echo "the cluster did not come up within 60 s; logs in $DIR" >&2
  stop
  exit 1
}

stop() {
  local names="master" i
  for i in $(seq 1 "$WORKERS"); do names="worker-$i $names"; done
  for n in $names; do
    if running "$n"; then
      local pid; pid=$(cat "$DIR/$n.pid")
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$DIR/$n.pid"
  done
  rm -f "$DIR/master-url"
}

submit() {
  running master || { echo "the cluster is not running: scripts/spark-cluster.sh start" >&2; exit 1; }
  [ $# -ge 1 ] || { echo "usage: scripts/spark-cluster.sh submit CLASS [ARGS...]" >&2; exit 2; }
  local class=$1; shift
  local core spark
  core=$(ls "$ROOT"/jgrad-core/target/jgrad-core-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)
  spark=$(ls "$ROOT"/jgrad-spark/target/jgrad-spark-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)
  [ -n "$core" ] && [ -n "$spark" ] || { echo "no jgrad jars: run ./build package first" >&2; exit 1; }
  local app=$spark jars=$core
  if [[ $class == dev.jgrad.bench.* ]]; then
    # The benchmark module's own classes, not its shaded jar: Spark brings its own libraries.
    app=$(ls "$ROOT"/jgrad-bench/target/jgrad-bench-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)
    [ -n "$app" ] || { echo "no jgrad-bench jar: run ./build package first" >&2; exit 1; }
    jars="$core,$spark"
  fi
  source "$ROOT/scripts/find-jdk.sh"
  export JAVA_HOME SPARK_HOME="$DIR/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
  # shellcheck disable=SC2086
  exec "$JAVA_HOME/bin/java" $JOPTS -Xmx${JGRAD_DRIVER_MEMORY:-2g} -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit \
    --master "$(cat "$DIR/master-url")" --deploy-mode client \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --conf spark.ui.enabled=false \
    --conf "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector ${JGRAD_EXECUTOR_OPTS:-}" \
    --jars "$jars" --class "$class" "$app" "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running master && cat "$DIR/master-url" ;;
  submit) shift; submit "$@" ;;
  *) echo "usage: scripts/spark-cluster.sh start|stop|status|submit" >&2; exit 2 ;;
esac
