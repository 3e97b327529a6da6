# Sourced by ./jgrad and ./build: sets JAVA_HOME to a JDK 25 or newer, or exits with a hint.
# Looks at $JAVA_HOME, then `java` on the PATH, then the usual install folders.
jdk_version() {
  # The JDK's release file names its version without starting a JVM (which costs the launcher
  # about half a second of CPU on every run); ask java itself where there is none.
  local v=""
  if [ -f "$1/release" ]; then v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1); fi
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1)
  fi
  echo "$v"
}
jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  local v
  v=$(jdk_version "$1")
  [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null
}
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then return 0; fi
  if command -v java >/dev/null 2>&1; then
    local home
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if jdk_ok "$home"; then JAVA_HOME=$home; return 0; fi
  fi
  local d
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    if [ -d "$d" ] && jdk_ok "$d"; then JAVA_HOME=$d; return 0; fi
  done
  return 1
}
if ! find_jdk; then
  echo "jgrad needs JDK 25 or newer: set JAVA_HOME to one (e.g. export JAVA_HOME=/path/to/jdk-25)" >&2
  exit 1
fi
