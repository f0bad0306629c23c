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
// Keep compiled code, and the JavaScript stripped from the TypeScript sources, between
// runs (in the system's temporary directory unless NODE_COMPILE_CACHE names one): a warm
// start skips the type-stripping compiler and its memory, about 25 MB of resident memory
// on an idle edge daemon, and starts sooner.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('./tributary-cli.ts');
