#!/usr/bin/env node
// The `d0` command (package.json "bin"). The installed package ships no TypeScript: it runs its
// compiled JavaScript (dist/cli/main.js, built by `npm run build`, which `npm pack` runs). A
// checkout has cli/main.ts beside this file and runs the sources through tsx (a development
// dependency), so a stale dist/ is never what a developer runs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

if (fs.existsSync(path.join(__dirname, 'main.ts'))) {
  require('tsx/cjs');
  require('./main.ts').runCli();
} else {
  require(path.join(__dirname, '..', 'dist', 'cli', 'main.js')).runCli();
}
