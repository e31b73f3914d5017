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
require('@swc-node/register');
process.argv = [process.argv[0], path.resolve(root, entry), ...rest];
require(path.resolve(root, entry));
