// Preloaded into the API under test (NODE_OPTIONS=--require …): at exit, writes one line naming the OpenTelemetry
// packages the process loaded (the SDK is CommonJS, so every module of it is in require.cache however it was imported).
'use strict';
const Module = require('node:module');
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(Module._cache)) {
    const match = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  writeSync(2, `${JSON.stringify({ probe: 'opentelemetry-packages', packages: [...packages].sort() })}\n`);
});
