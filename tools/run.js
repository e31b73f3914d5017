#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: SWC compiles on the fly (decorator metadata
// included) and tsconfig paths resolve the @platform/* libs. Used by every npm script and service.
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.base.json');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/run.js <file.ts> [args...]');
  process.exit(2);
}
const fs = require('node:fs');
if (!fs.existsSync(path.join(root, 'node_modules', '@swc-node', 'register'))) {
  // A fresh clone: install dependencies once, then continue.
  const { execSync } = require('node:child_process');
  console.log('[run] node_modules missing: running npm ci');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
// A service (apps/<svc>/src/main.ts) runs from a build of the current sources (tools/compile.js,
// compiled once per change and shared by every replica) instead of registering the compiler in its
// own process (measured on claims, idle: 140 MiB RSS instead of 201 MiB). PLATFORM_RUN_FROM_SOURCE=1 runs it the old way.
const service = /^apps\/[^/]+\/src\/main\.ts$/.test(path.relative(root, path.resolve(root, entry)).split(path.sep).join('/'));
if (service && process.env.PLATFORM_RUN_FROM_SOURCE !== '1') {
  const build = require('./compile.js').ensureBuild(root);
  const compiled = path.join(build, path.relative(root, path.resolve(root, entry))).replace(/\.ts$/, '.js');
  // Stack traces name the compiled lines, which follow the sources closely; the build carries inline
  // source maps, so NODE_OPTIONS=--enable-source-maps gives TypeScript lines (measured: +14 MiB).
  process.argv = [process.argv[0], compiled, ...rest];
  require(compiled);
} else {
  require('@swc-node/register');
  process.argv = [process.argv[0], path.resolve(root, entry), ...rest];
  require(path.resolve(root, entry));
}
