#!/usr/bin/env bash
# Refreshes the front-end libraries in static/vendor/ from the npm registry (no bundler, no CDN).
# Pin a version here, run the script, review the diff, commit. VERSIONS lists what is vendored.
set -euo pipefail
cd "$(dirname "$0")/../static/vendor"
packages=(
  "htmx.org@2.0.4:dist/htmx.min.js"
  "chart.js@4.4.7:dist/chart.umd.js"
  "leaflet@1.9.4:dist/leaflet.js dist/leaflet.css dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png"
  # The inspector's offline app: IndexedDB (drafts, outbox) and the service worker's routing and
  # caches. workbox-sw loads the other modules from static/vendor/workbox-sw/ (sw.js sets
  # modulePathPrefix), never from a CDN.
  "idb@8.0.4:build/umd.js"
  # The signatures of the Berita Acara, drawn on the phone.
  "signature_pad@5.1.4:dist/signature_pad.umd.min.js"
  "workbox-sw@7.4.1:build/workbox-sw.js"
  "workbox-core@7.4.1:build/workbox-core.prod.js"
  "workbox-routing@7.4.1:build/workbox-routing.prod.js"
  "workbox-strategies@7.4.1:build/workbox-strategies.prod.js"
  "workbox-precaching@7.4.1:build/workbox-precaching.prod.js"
  "workbox-expiration@7.4.1:build/workbox-expiration.prod.js"
  "workbox-cacheable-response@7.4.1:build/workbox-cacheable-response.prod.js"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > VERSIONS
for entry in "${packages[@]}"; do
  spec=${entry%%:*}; files=${entry#*:}; name=${spec%@*}
  # The workbox modules live beside workbox-sw, where it looks for them.
  case $name in workbox-*) dir=workbox-sw ;; *) dir=$name ;; esac
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tarball=$(ls "$tmp"/*.tgz)
  [ "$dir" = workbox-sw ] && [ "$name" != workbox-sw ] || { rm -rf "$dir" && mkdir -p "$dir"; }
  tar -xzf "$tarball" -C "$tmp"
  for f in $files; do
    target=${f#dist/}; target=${target#build/}
    mkdir -p "$dir/$(dirname "$target")"
    cp "$tmp/package/$f" "$dir/$target"
  done
  echo "$spec $(sha256sum "$tarball" | cut -d' ' -f1)" >> VERSIONS
  rm -rf "$tmp"/package "$tarball"
done
cat VERSIONS
