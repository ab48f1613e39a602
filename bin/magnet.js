#!/usr/bin/env node
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'bin.js');
if (!fs.existsSync(entry)) {
  console.error('error: magnet is not built yet; run `npm run build` in ' + path.join(__dirname, '..'));
  process.exit(1);
}
require(entry);
