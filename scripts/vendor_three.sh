#!/usr/bin/env bash
# Re-vendors three.js for the `step2motion view` page: one minified classic script (no modules, no
# network at view time) defining the global `THREE`, with the OrbitControls addon as THREE.OrbitControls.
#
# Fetches the pinned three and esbuild from the npm registry into a temporary folder, bundles only what
# the viewer imports (esbuild tree-shakes the rest), and writes beside viewer.js:
#   three.bundle.min.js  the bundle (committed)
#   THREE_LICENSE        three's LICENSE (MIT)
#   THREE_VERSION        the version and how the bundle was built
# Keep the list of names below in step with what viewer.js uses (THREE.Xxx); a name missing here is
# `undefined` in the page and the browser test fails.
#
#     scripts/vendor_three.sh            (needs node and npm)
set -euo pipefail

THREE_VERSION=0.187.0
ESBUILD_VERSION=0.28.2

cd "$(dirname "$0")/.."
destination="$PWD/src/step2motion/visualisation/viewer"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init --yes >/dev/null
npm install --no-audit --no-fund --silent --save-exact "three@$THREE_VERSION" "esbuild@$ESBUILD_VERSION"

# The names viewer.js uses, re-exported so that everything else in three is dropped.
cat >entry.js <<'JS'
export {
  AmbientLight,
  BufferAttribute,
  BufferGeometry,
  CanvasTexture,
  Color,
  CylinderGeometry,
  DirectionalLight,
  Group,
  InstancedMesh,
  Line,
  LineBasicMaterial,
  LineSegments,
  Matrix4,
  MeshLambertMaterial,
  PerspectiveCamera,
  Quaternion,
  Scene,
  SphereGeometry,
  Sprite,
  SpriteMaterial,
  SRGBColorSpace,
  Vector3,
  WebGLRenderer,
} from "three";
export { OrbitControls } from "three/addons/controls/OrbitControls.js";
JS

npx --no-install esbuild entry.js --bundle --minify --format=iife --global-name=THREE \
  --target=es2020 --legal-comments=none --log-level=warning --outfile=three.bundle.min.js

cp three.bundle.min.js "$destination/three.bundle.min.js"
cp node_modules/three/LICENSE "$destination/THREE_LICENSE"
cat >"$destination/THREE_VERSION" <<TXT
three $THREE_VERSION (npm), with addons/controls/OrbitControls.js
Built by scripts/vendor_three.sh: esbuild $ESBUILD_VERSION --bundle --minify --format=iife --global-name=THREE
--target=es2020, tree-shaken to the names viewer.js uses (listed in the script).
TXT
echo "wrote $destination/three.bundle.min.js ($(wc -c <"$destination/three.bundle.min.js") bytes), three $THREE_VERSION"
