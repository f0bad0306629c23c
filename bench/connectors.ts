// Connector footprint (not a test): what each connector type costs a device in memory once
// its code is loaded. Each is measured in a fresh Node.js process: the runtime every
// connector shares is loaded first with the daemon's own modules (the baseline: what a
// running daemon has loaded anyway), then either the type's client library
// alone, or the type's whole module (its TypeScript files, which Node.js strips as it loads
// them, and the library), and the growth of RSS and of the V8 heap (after a full GC) is
// printed. A daemon without connectors loads none of this.
//
//   npm run bench:connectors
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** Each measurement is taken this many times in fresh processes; the median is printed (RSS is noisy). */
const RUNS = 3;

/** Per type: its module, and the client libraries it brings (none for the types built on Node.js alone). */
const TYPES: Record<string, { module: string; libraries: string[] }> = {
  'modbus-tcp': { module: './edge/connectors/modbus/modbus-source.ts', libraries: ['modbus-serial'] },
  opcua: { module: './edge/connectors/opcua/opcua-source.ts', libraries: ['node-opcua-client', 'node-opcua-certificate-manager'] },
  'file-source': { module: './edge/connectors/file/file-source.ts', libraries: [] },
  'file-sink': { module: './edge/connectors/file/file-sink.ts', libraries: [] },
  'http-sink': { module: './edge/connectors/http/http-sink.ts', libraries: [] },
  'sparkplug (route option)': { module: './edge/connectors/sparkplug/index.ts', libraries: ['protobufjs/light.js'] },
};

/** Loads the runtime, then the modules named; prints the memory before and after, each after a full GC. */
const PROBE = `
const sample = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed }; };
await import('./edge/daemon/edge-daemon.ts');
await import('./edge/connectors/index.ts');
const before = sample();
for (const module of process.argv.slice(1)) await import(module);
const after = sample();
console.log(JSON.stringify({ before, after }));
`;

function measure(modules: string[]): { rssMiB: number; heapMiB: number; baselineRssMiB: number } {
  const runs = Array.from({ length: RUNS }, () => {
    const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, ...modules], { cwd: ROOT, encoding: 'utf8' });
    const { before, after } = JSON.parse(output.trim().split('\n').pop()!) as { before: { rss: number; heap: number }; after: { rss: number; heap: number } };
    return { rss: (after.rss - before.rss) / 2 ** 20, heap: (after.heap - before.heap) / 2 ** 20, baseline: before.rss / 2 ** 20 };
  });
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { rssMiB: median(runs.map((run) => run.rss)), heapMiB: median(runs.map((run) => run.heap)), baselineRssMiB: median(runs.map((run) => run.baseline)) };
}

const mib = (value: number) => `${value.toFixed(1)} MiB`.padStart(10);
const baseline = measure([]);
console.log(`Memory added by each connector type (median of ${RUNS} fresh processes, Node.js ${process.version});`);
console.log(`the process holds ${baseline.baselineRssMiB.toFixed(1)} MiB RSS with the daemon's modules and the connector runtime loaded, before any type\n`);
console.log('type                         library: RSS      heap   whole type: RSS      heap');
for (const [name, { module, libraries }] of Object.entries(TYPES)) {
  const library = libraries.length > 0 ? measure(libraries) : undefined;
  const whole = measure([module]);
  console.log(`${name.padEnd(28)}${library ? mib(library.rssMiB) + mib(library.heapMiB) : '  (Node.js only)    '}      ${mib(whole.rssMiB)}${mib(whole.heapMiB)}`);
}
