# Sourced by ./jgrad and ./build: sets JAVA_HOME to a JDK 25 or newer, or exits with a hint.
# Looks at $JAVA_HOME, then `java` on the PATH, then the usual install folders.
# Runs on every `./jgrad` launch, so the usual path uses bash built-ins only: every process
# started here (sed, readlink, a subshell) costs a few milliseconds, a JVM half a second of CPU.
jdk_version() {
  # Sets jdk_v to the JDK's major version. The JDK's release file names it without starting a
  # JVM; ask java itself only where there is none.
  jdk_v=""
  local line
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then jdk_v=${BASH_REMATCH[1]}; break; fi
    done < "$1/release"
  fi
  if [ -z "$jdk_v" ]; then
    jdk_v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1)
  fi
}
jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  jdk_version "$1"
  [ -n "$jdk_v" ] && [ "${jdk_v%%.*}" -ge 25 ] 2>/dev/null
}
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then return 0; fi
  local java home d
  if java=$(type -P java); then
    # /usr/bin/java is usually a chain of links (alternatives); only then is readlink needed.
    if [ -L "$java" ]; then java=$(readlink -f "$java"); fi
    home=${java%/bin/java}
    if jdk_ok "$home"; then JAVA_HOME=$home; return 0; fi
  fi
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    if [ -d "$d" ] && jdk_ok "$d"; then JAVA_HOME=$d; return 0; fi
  done
  return 1
}
if ! find_jdk; then
  echo "jgrad needs JDK 25 or newer: set JAVA_HOME to one (e.g. export JAVA_HOME=/path/to/jdk-25)" >&2
  exit 1
fi
