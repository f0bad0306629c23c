#!/usr/bin/env node
// Entry point of the `tributary` command. Plain JavaScript so that it can say clearly
// which Node.js it needs before anything else is loaded: the code is TypeScript that
// Node.js 24 runs directly.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`tributary needs Node.js 24 or newer; this is ${process.version}.\n` +
    'Run it through npm (npm start, npx tributary, npm run …), which uses the Node.js 24 installed with the package, or install Node.js 24.');
  process.exit(1);
}
await import('./tributary-cli.ts');
