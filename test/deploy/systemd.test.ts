// The systemd unit: the hardening the install guide promises is there, and systemd itself
// accepts the file (systemd-analyze verify, with the install paths pointed at this tree).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MissingSystemPackageError, requireProgram } from '../helpers/system-programs.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const UNIT = readFileSync(join(ROOT, 'deploy/systemd/tributary.service'), 'utf8');

/** The unit's settings by section, later lines after earlier ones. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const at = line.indexOf('=');
    assert.ok(current && at > 0, `a setting outside a section or without "=": ${line}`);
    const key = line.slice(0, at);
    current!.set(key, [...(current!.get(key) ?? []), line.slice(at + 1)]);
  }
  return sections;
}

test('the service runs as its own user with the hardening of the install guide', () => {
  const service = parseUnit(UNIT).get('Service')!;
  const value = (key: string) => service.get(key)?.at(-1);
  assert.is(value('User'), 'tributary');
  assert.is(value('ProtectSystem'), 'strict');
  assert.is(value('ReadWritePaths'), '/var/lib/tributary');
  assert.is(value('StateDirectory'), 'tributary');
  assert.is(value('NoNewPrivileges'), 'yes');
  assert.is(value('PrivateTmp'), 'yes');
  assert.is(value('Restart'), 'on-failure');
  assert.is(value('LimitNOFILE'), '65536');
  assert.is(value('MemoryMax'), '512M');
  assert.is(value('CapabilityBoundingSet'), '');
  assert.is(value('KillSignal'), 'SIGTERM');
  assert.match(value('ExecStart')!, /^\/opt\/tributary\/node_modules\/node\/bin\/node \/opt\/tributary\/bin\/tributary\.js edge --config \/etc\/tributary\/edge\.yaml$/);
  assert.is(parseUnit(UNIT).get('Install')!.get('WantedBy')?.[0], 'multi-user.target');
});

test('the Node.js heap limit fits inside MemoryMax', () => {
  const service = parseUnit(UNIT).get('Service')!;
  const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(service.get('Environment')!.join(' '))![1]);
  const memoryMiB = Number(/^(\d+)M$/.exec(service.get('MemoryMax')![0]!)![1]);
  assert.ok(heapMiB < memoryMiB, `heap ${heapMiB} MiB, MemoryMax ${memoryMiB} MiB`);
});

test('systemd accepts the unit', () => {
  // The unit names /opt/tributary; point it at this tree so that systemd finds the program.
  const directory = mkdtempSync(join(tmpdir(), 'tributary-unit-'));
  try {
    const path = join(directory, 'tributary.service');
    writeFileSync(path, UNIT.replaceAll('/opt/tributary', ROOT));
    let output: string;
    try {
      output = execFileSync(requireProgram('systemd-analyze'), ['verify', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      if (error instanceof MissingSystemPackageError) throw error;
      const failure = error as { stderr?: string; stdout?: string };
      throw new Error(`systemd-analyze verify refused the unit:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
    }
    assert.is(output.trim(), '');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
