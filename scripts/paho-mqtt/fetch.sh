#!/usr/bin/env bash
# Installs the Eclipse paho MQTT client 2.x (Python, from PyPI) into a virtual
# environment in a cache outside git, for the MQTT 5 interop tests (Debian's
# python3-paho-mqtt is 1.6, which the 3.1.1 tests keep using). A second run with the
# same version costs nothing.
#
# The cache: $TRIBUTARY_CACHE_DIR, or ~/.cache/tributary.
set -euo pipefail
version="2.1.0"
cache="${TRIBUTARY_CACHE_DIR:-$HOME/.cache/tributary}"
target="$cache/python/paho-mqtt-$version"
command -v python3 >/dev/null || { echo "fetch.sh: python3 is not installed" >&2; exit 1; }
if [ -x "$target/bin/python" ] && "$target/bin/python" -c 'import paho.mqtt' 2>/dev/null; then
  echo "fetch.sh: paho-mqtt $version is cached in $target"
  exit 0
fi
echo "fetch.sh: installing paho-mqtt $version into $target"
rm -rf "$target.partial"
python3 -m venv "$target.partial"
"$target.partial/bin/pip" install --quiet --disable-pip-version-check "paho-mqtt==$version"
rm -rf "$target"
mv "$target.partial" "$target"
