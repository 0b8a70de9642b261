#!/usr/bin/env bash
# Refreshes the front-end libraries in static/vendor/ from the npm registry (no bundler, no CDN).
# Pin a version here, run the script, review the diff, commit. VERSIONS lists what is vendored.
set -euo pipefail
cd "$(dirname "$0")/../static/vendor"
packages=(
  "htmx.org@2.0.4:dist/htmx.min.js"
  "chart.js@4.4.7:dist/chart.umd.js"
  "leaflet@1.9.4:dist/leaflet.js dist/leaflet.css dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > VERSIONS
for entry in "${packages[@]}"; do
  spec=${entry%%:*}; files=${entry#*:}; name=${spec%@*}
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tarball=$(ls "$tmp"/*.tgz)
  rm -rf "$name" && mkdir -p "$name"
  tar -xzf "$tarball" -C "$tmp"
  for f in $files; do
    mkdir -p "$name/$(dirname "${f#dist/}")"
    cp "$tmp/package/$f" "$name/${f#dist/}"
  done
  echo "$spec $(sha256sum "$tarball" | cut -d' ' -f1)" >> VERSIONS
  rm -rf "$tmp"/package "$tarball"
done
cat VERSIONS
