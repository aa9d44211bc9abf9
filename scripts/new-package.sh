#!/usr/bin/env bash
# Scaffold packages/<name> with the anatomy every Convoy package shares.
# Usage: scripts/new-package.sh <name> "<one-line description>"
set -euo pipefail
name=$1; desc=$2
dir="packages/$name"
mkdir -p "$dir/src"
cat > "$dir/package.json" <<JSON
{
  "name": "@convoy/$name",
  "version": "0.0.0",
  "description": "$desc",
  "license": "MIT",
  "keywords": ["convoy"],
  "homepage": "https://github.com/convoy-assets/convoy/tree/main/packages/$name#readme",
  "bugs": {
    "url": "https://github.com/convoy-assets/convoy/issues"
  },
  "repository": {
    "type": "git",
    "url": "git+https://github.com/convoy-assets/convoy.git",
    "directory": "packages/$name"
  },
  "type": "module",
  "sideEffects": false,
  "exports": {
    ".": {
      "@convoy/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    },
    "./package.json": "./package.json"
  },
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "files": ["dist", "LICENSE"],
  "engines": {
    "node": ">=20.11"
  },
  "scripts": {
    "build": "tsup src/index.ts --format esm --dts --clean --sourcemap --target node20",
    "typecheck": "tsc -p tsconfig.json",
    "lint": "eslint src",
    "test": "vitest run"
  },
  "publishConfig": {
    "access": "public"
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src"]
}
JSON
# Every tarball carries the license (check-packages refuses one without).
cp LICENSE "$dir/LICENSE"
[ -f "$dir/CHANGELOG.md" ] || printf '# @convoy/%s\n' "$name" > "$dir/CHANGELOG.md"
[ -f "$dir/vitest.config.ts" ] || cat > "$dir/vitest.config.ts" <<'TS'
import { defineConfig } from 'vitest/config'
import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'

export default defineConfig({
  test: {
    // The run gets its own temporary directory, and fails listing any `convoy-*` entry a test left in it.
    globalSetup: [noTempLeftovers],
  },
})
TS
[ -f "$dir/src/index.ts" ] || printf 'export {}\n' > "$dir/src/index.ts"
