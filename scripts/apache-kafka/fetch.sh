#!/usr/bin/env bash
# Fetches Apache Kafka (and MirrorMaker 2) from Maven Central into a cache outside git, one
# folder of jars per pom.xml beside this script. The tests and benchmarks put a folder on
# the Java classpath (test/helpers/apache-kafka.ts). A folder whose pom.xml has not changed
# since it was filled is left alone, so a second run costs nothing.
#
# The cache: $TRIBUTARY_CACHE_DIR, or ~/.cache/tributary; Maven keeps its own in ~/.m2.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${TRIBUTARY_CACHE_DIR:-$HOME/.cache/tributary}"

for command in mvn java; do
  command -v "$command" >/dev/null || { echo "fetch.sh: $command is not installed (apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
done

for pom in "$here"/*/pom.xml; do
  set_name="$(basename "$(dirname "$pom")")"
  target="$cache/apache-kafka/$set_name"
  stamp="$(sha256sum "$pom" | cut -c1-16)"
  if [ -f "$target/.stamp" ] && [ "$(cat "$target/.stamp")" = "$stamp" ]; then
    echo "fetch.sh: $set_name is cached in $target"
    continue
  fi
  echo "fetch.sh: fetching $set_name into $target"
  rm -rf "$target.partial"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$target.partial/lib"
  echo "$stamp" > "$target.partial/.stamp"
  rm -rf "$target"
  mv "$target.partial" "$target"
done
