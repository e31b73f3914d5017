#!/usr/bin/env node
// Ahead-of-time build for the image: `node deploy/docker/compile.js [outDir=dist]` (tools/compile.js
// holds the build; tools/run.js uses the same one for local runs).
'use strict';
const path = require('node:path');
const { compile } = require('../../tools/compile.js');

const root = path.resolve(__dirname, '..', '..');
const outDir = path.resolve(root, process.argv[2] || 'dist');
const n = compile(root, outDir);
console.log(`[compile] ${n} files -> ${path.relative(root, outDir)}/`);
