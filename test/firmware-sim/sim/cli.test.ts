// Starts `tributary sim` as a process against an aedes broker in this process, the way
// the MQTT benchmark and the demo start it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeReading } from '../../../firmware-sim/payloads.ts';
import type { FleetReport } from '../../../firmware-sim/sim/fleet.ts';
import { startBroker, type TestBroker } from './broker.ts';

const cliPath = fileURLToPath(new URL('../../../firmware-sim/sim/cli.ts', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the exit status once the process has exited and its output was read. */
  exited: Promise<number | null>;
  nextLine(matches: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  const lines: Record<string, unknown>[] = [];
  const waiters: { matches: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  const reader = createInterface({ input: child.stdout! });
  reader.on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.matches(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = Promise.all([once(child, 'exit'), once(reader, 'close'), once(child.stderr!, 'close')]).then(() => child.exitCode);
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    nextLine: (matches) => {
      const already = lines.find(matches);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => waiters.push({ matches, resolve }));
    },
  };
}

async function broker(): Promise<TestBroker> {
  const started = await startBroker();
  cleanups.push(() => started.close());
  return started;
}

function temporaryDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-'));
  cleanups.push(() => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}

test('publishes its count, prints progress, and writes a report that matches what arrived', async () => {
  const testBroker = await broker();
  const reportPath = path.join(temporaryDirectory(), 'report.json');
  const running = start(['--broker', testBroker.url, '--devices', '3', '--rate', '100', '--count', '25', '--format', 'senml-json', '--progress-ms', '50', '--report', reportPath, '--seed', '9']);
  assert.is(await running.exited, 0, running.stderr());
  const done = running.lines.at(-1)!;
  assert.is(done.event, 'done');
  assert.is(done.acknowledged, 75);
  assert.is(done.report, reportPath);
  assert.ok(running.lines.some((line) => line.event === 'progress'), 'progress lines were printed');

  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as FleetReport;
  assert.is(report.format, 'senml-json');
  assert.equal(Object.keys(report.perDevice), ['dev-00001', 'dev-00002', 'dev-00003']);
  const arrived = new Set(testBroker.received.map((packet) => {
    const reading = decodeReading(packet.payload as Buffer, 'senml-json');
    return `${reading.deviceId}#${reading.sequence}`;
  }));
  for (const [deviceId, device] of Object.entries(report.perDevice)) {
    assert.equal(device.acknowledgedSequences, [[1, 25]]);
    for (let sequence = 1; sequence <= 25; sequence += 1) assert.ok(arrived.has(`${deviceId}#${sequence}`), `${deviceId}#${sequence}`);
  }
});

test('SIGTERM stops a fleet with no end and the report is still written', async () => {
  const testBroker = await broker();
  const reportPath = path.join(temporaryDirectory(), 'report.json');
  const running = start(['--broker', testBroker.url, '--devices', '2', '--rate', '50', '--id-prefix', 'pump-', '--first-device', '7', '--progress-ms', '50', '--report', reportPath]);
  await running.nextLine((line) => line.event === 'progress' && Number(line.acknowledged) > 0);
  running.child.kill('SIGTERM');
  assert.is(await running.exited, 0, running.stderr());
  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as FleetReport;
  assert.equal(Object.keys(report.perDevice), ['pump-00007', 'pump-00008']);
  assert.ok(report.totals.acknowledged > 0);
  assert.is(report.totals.unconfirmed, 0);
  assert.is(testBroker.received.length, report.totals.acknowledged);
});

test('bad arguments exit with status 2 and say what is wrong', async () => {
  for (const [args, pattern] of [
    [['--devices', '1', '--rate', '1'], /--broker, --devices and --rate are required/],
    [['--broker', 'mqtt://127.0.0.1:1', '--devices', 'many', '--rate', '1'], /--devices: "many" is not a number/],
    [['--broker', 'mqtt://127.0.0.1:1', '--devices', '1', '--rate', '1', '--format', 'xml'], /--format: "xml" is not one of/],
    [['--broker', 'mqtt://127.0.0.1:1', '--devices', '1', '--rate', '1', '--metrics', 'smell'], /--metrics: "smell"/],
  ] as const) {
    const running = start([...args]);
    assert.is(await running.exited, 2, `exit status for ${args.join(' ')}`);
    assert.match(running.stderr(), pattern);
  }
});

test('--help prints the usage', async () => {
  const child = spawn(process.execPath, [cliPath, '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (chunk) => { text += chunk; });
  const [code] = await once(child, 'close');
  assert.is(code, 0);
  assert.match(text, /Usage: tributary sim --broker/);
});

test.run();
