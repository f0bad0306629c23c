// The daemon as a user runs it: `tributary edge --config FILE` in a child process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon, metricValue } from '../../helpers/daemon.ts';

const CLI = resolve(import.meta.dirname, '../../../bin/tributary.js');

function runCli(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

test('starts on ephemeral ports, reports them, serves /health and /metrics, exits 0 on SIGTERM', async () => {
  const daemon = await Daemon.start({ config: { topics: { overrides: { sensors: { partitions: 3 } } } } });
  try {
    for (const name of ['kafka', 'mqtt', 'http'] as const) {
      assert.ok((daemon.ports[name] ?? 0) > 0, `${name} port reported`);
    }
    const health = await (await fetch(`http://127.0.0.1:${daemon.ports.http}/health`)).json() as Record<string, unknown>;
    assert.is(health.status, 'ok');
    assert.is(health.node, 'test-edge');
    const metrics = await daemon.metrics();
    assert.ok(metricValue(metrics, 'tributary_process_resident_memory_bytes')! > 0, 'process metrics exported');
    assert.match(metrics, /tributary_storage_/);
    assert.ok(existsSync(join(daemon.dataDir, 'data', 'log')), 'log directory created');
    assert.ok(readdirSync(join(daemon.dataDir, 'data', 'log')).some((name) => name.startsWith('sensors-')), 'declared topic created');
    const exit = await daemon.stop();
    assert.equal(exit, { code: 0, signal: null });
    assert.ok(daemon.logLines.some((line) => line.msg === 'stopped'), 'logs that it stopped');
  } finally {
    await daemon.cleanup();
  }
});

test('the ready line with the ports is written even when log.level hides info lines', async () => {
  const daemon = await Daemon.start({ config: { log: { level: 'warn' } } });
  try {
    assert.ok(daemon.ports.kafka! > 0);
    assert.not.ok(daemon.logLines.some((line) => line.msg === 'created declared topic' || (line.level === 30 && line.event !== 'ready')), 'no other info lines');
  } finally {
    await daemon.cleanup();
  }
});

test('SIGINT also stops it cleanly', async () => {
  const daemon = await Daemon.start();
  try {
    daemon.process.kill('SIGINT');
    assert.equal(await daemon.exited, { code: 0, signal: null });
  } finally {
    await daemon.cleanup();
  }
});

test('a second daemon on the same data directory is refused with a clear error', async () => {
  const first = await Daemon.start();
  try {
    const error = await Daemon.start({ dataDir: first.dataDir }).then(() => undefined, (failure: Error) => failure);
    assert.ok(error, 'second start fails');
    assert.match(error!.message, /is in use by another Tributary process/);
  } finally {
    await first.cleanup();
  }
});

test('a wrong key in the YAML file stops the start with file, line and key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
  try {
    const configPath = join(dir, 'edge.yaml');
    writeFileSync(configPath, 'node:\n  id: edge-01\nlisteners:\n  kafka:\n    prot: 9092\n');
    const result = await runCli(['edge', '--config', configPath]);
    assert.is(result.code, 1);
    assert.is(result.stderr.trim(), `tributary: ${configPath}:5: listeners.kafka.prot: unknown key (allowed: host, port)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help lists the subcommands; an unknown one is refused', async () => {
  const help = await runCli(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /edge\s+run the edge broker/);
  assert.match(help.stdout, /config\s+/);
  const unknown = await runCli(['nonsense']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "nonsense"/);
});

test('config check prints the effective configuration with defaults filled in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
  try {
    const configPath = join(dir, 'edge.yaml');
    writeFileSync(configPath, 'node:\n  id: edge-07\n');
    const result = await runCli(['config', 'check', '--config', configPath]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /id: edge-07/);
    assert.match(result.stdout, /port: 9092/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP applies a new log level, names changes that need a restart, and survives an invalid file', async () => {
  const daemon = await Daemon.start();
  try {
    const original = readFileSync(daemon.configPath, 'utf8');
    writeFileSync(daemon.configPath, original.replace('level: info', 'level: debug').replace('id: test-edge', 'id: renamed-edge'));
    daemon.process.kill('SIGHUP');
    const applied = await daemon.logLine((line) => line.msg === 'SIGHUP: log level applied', 'log level applied');
    assert.is(applied.logLevel, 'debug');
    const restart = await daemon.logLine((line) => line.msg === 'SIGHUP: these sections changed and apply after a restart', 'sections needing a restart');
    assert.equal(restart.sections, ['node']);
    writeFileSync(daemon.configPath, 'node:\n  idd: broken\n');
    daemon.process.kill('SIGHUP');
    const refused = await daemon.logLine((line) => typeof line.msg === 'string' && line.msg.startsWith('SIGHUP: the configuration file is invalid'), 'invalid file refused');
    assert.match(JSON.stringify(refused.err), /node\.idd: unknown key/);
    const health = await fetch(`http://127.0.0.1:${daemon.ports.http}/health`);
    assert.is(health.status, 200, 'still serving');
    assert.equal(await daemon.stop(), { code: 0, signal: null });
  } finally {
    await daemon.cleanup();
  }
});

test.run();
