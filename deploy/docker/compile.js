#!/usr/bin/env node
// Ahead-of-time build for the image: SWC compiles the services, the libs and the topic tooling to
// dist/ with the same settings as tools/run.js (.swcrc: decorator metadata, CommonJS) and rewrites
// the @platform/* imports (tsconfig paths) to relative paths, so `node dist/apps/<svc>/src/main.js`
// runs without SWC or tsconfig at run time. Type errors are caught by `tsc --noEmit` before this.
//   node deploy/docker/compile.js [outDir=dist]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..', '..');
const outDir = path.resolve(root, process.argv[2] || 'dist');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
// What a running service or the topics one-shot needs; tests, benches and test harnesses stay out.
const SOURCES = ['apps', 'libs', 'tools/infra'];
const SKIP = /(\.(spec|int-spec|e2e-spec|fault-spec)\.ts$)|(\/(test|testing|bench)\/)|(\.d\.ts$)/;

function* tsFiles(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* tsFiles(p);
    } else if (p.endsWith('.ts') && !SKIP.test(path.relative(root, p).split(path.sep).join('/'))) yield p;
  }
}

let n = 0;
for (const src of SOURCES) {
  const dir = path.join(root, src);
  if (!fs.existsSync(dir)) continue;
  for (const file of tsFiles(dir)) {
    const { code } = swc.transformFileSync(file, {
      ...swcrc,
      swcrc: false,
      sourceMaps: 'inline',
      jsc: { ...swcrc.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
    });
    const out = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, code);
    n++;
  }
}
// Imports resolved from the libs' own folders at run time (e.g. JSON next to the sources) are copied as is.
for (const src of SOURCES) {
  const dir = path.join(root, src);
  if (!fs.existsSync(dir)) continue;
  const copy = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) copy(p);
      // JSON next to the sources, and an app's static front end (apps/ops-console/public)
      else if (
        (p.endsWith('.json') && !p.endsWith('project.json') && !p.endsWith('tsconfig.json')) ||
        path.relative(root, p).split(path.sep).includes('public')
      ) {
        const out = path.join(outDir, path.relative(root, p));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.copyFileSync(p, out);
      }
    }
  };
  copy(dir);
}
console.log(`[compile] ${n} files -> ${path.relative(root, outDir)}/`);
