#!/usr/bin/env node
// The `d0` command (package.json "bin"): runs the TypeScript sources through tsx.
'use strict';
require('tsx/cjs');
require('./main.ts').runCli();
