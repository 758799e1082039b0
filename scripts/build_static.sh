#!/bin/sh
# Copy the pinned front-end packages (package-lock.json) from node_modules into app/static/vendor/.
# Meridian serves them itself: no CDN at run time. Run `npm ci` first (the Makefile's `static` does).
set -eu
cd "$(dirname "$0")/.."
for package in htmx.org socket.io-client chart.js; do
  if [ ! -d "node_modules/$package" ]; then
    echo "build_static.sh: node_modules/$package is missing; run 'npm ci' first" >&2
    exit 1
  fi
done
mkdir -p app/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
cp node_modules/socket.io-client/dist/socket.io.min.js app/static/vendor/socket.io.min.js
# The report charts (canvas, no injected styles: fits the CSP's style-src 'self').
cp node_modules/chart.js/dist/chart.umd.min.js app/static/vendor/chart.umd.min.js
echo "build_static.sh: copied htmx $(node -p "require('./node_modules/htmx.org/package.json').version")" \
     "socket.io-client $(node -p "require('./node_modules/socket.io-client/package.json').version")" \
     "and chart.js $(node -p "require('./node_modules/chart.js/package.json').version")" \
     "into app/static/vendor/"
