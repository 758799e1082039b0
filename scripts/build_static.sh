#!/bin/sh
# Copy the pinned front-end packages (package-lock.json) from node_modules into app/static/vendor/.
# Meridian serves them itself: no CDN at run time. Run `npm ci` first (the Makefile's `static` does).
set -eu
cd "$(dirname "$0")/.."
for package in htmx.org socket.io-client dwv konva jszip magic-wand-tool chart.js; do
  if [ ! -d "node_modules/$package" ]; then
    echo "build_static.sh: node_modules/$package is missing; run 'npm ci' first" >&2
    exit 1
  fi
done
mkdir -p app/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
cp node_modules/socket.io-client/dist/socket.io.min.js app/static/vendor/socket.io.min.js

# dwv (the DICOM viewer) is an ES module importing "konva", "jszip" and "magic-wand-tool" by bare
# name. An import map would be an inline script (refused by the CSP), so its imports are rewritten to
# small modules beside it that hand over what each package's own browser build defines.
rm -rf app/static/vendor/dwv
mkdir -p app/static/vendor/dwv/assets
cp -R node_modules/dwv/dist/assets/workers app/static/vendor/dwv/assets/
sed -e 's/from"konva"/from".\/konva.mjs"/' -e 's/from"jszip"/from".\/jszip.mjs"/' \
    -e 's/from"magic-wand-tool"/from".\/magic-wand.mjs"/' \
    -e 's/^\/\/# sourceMappingURL=.*$//' \
    node_modules/dwv/dist/dwv.min.js > app/static/vendor/dwv/dwv.min.js
cp node_modules/dwv/license.txt app/static/vendor/dwv/LICENSE-dwv.txt
cp node_modules/konva/konva.min.js app/static/vendor/dwv/konva.min.js
cp node_modules/jszip/dist/jszip.min.js app/static/vendor/dwv/jszip.min.js
cp node_modules/magic-wand-tool/dist/magic-wand.min.js app/static/vendor/dwv/magic-wand.min.js
printf 'import "./konva.min.js";\nexport default globalThis.Konva;\n' > app/static/vendor/dwv/konva.mjs
printf 'import "./jszip.min.js";\nexport default globalThis.JSZip;\n' > app/static/vendor/dwv/jszip.mjs
printf 'import "./magic-wand.min.js";\nexport default globalThis.MagicWand;\n' > app/static/vendor/dwv/magic-wand.mjs
if grep -q 'from"[a-z]' app/static/vendor/dwv/dwv.min.js; then
  echo "build_static.sh: dwv imports a package not rewritten above" >&2
  exit 1
fi

# The report charts (canvas, no injected styles: fits the CSP's style-src 'self').
cp node_modules/chart.js/dist/chart.umd.min.js app/static/vendor/chart.umd.min.js

echo "build_static.sh: copied htmx $(node -p "require('./node_modules/htmx.org/package.json').version")," \
     "socket.io-client $(node -p "require('./node_modules/socket.io-client/package.json').version")," \
     "dwv $(node -p "require('./node_modules/dwv/package.json').version")" \
     "and chart.js $(node -p "require('./node_modules/chart.js/package.json').version") into app/static/vendor/"
