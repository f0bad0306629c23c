// A listener that cannot bind stops the start with one line naming its setting and its
// address, exit status 1, and nothing left behind: no listener bound, the data directory
// lock released, no file open.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from '../../../edge/daemon/data-dir-lock.ts';
import { startEdge } from '../../../edge/daemon/edge-daemon.ts';
import { defaultConfig } from '../../../shared/config/load.ts';
import { isTributaryError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/logger.ts';
import { BROKER_CERTIFICATE, BROKER_KEY } from '../../helpers/certificates.ts';
import { Daemon, DaemonStartError, type DaemonOptions } from '../../helpers/daemon.ts';
import { requireProgram } from '../../helpers/system-programs.ts';

const TLS_FILES = { certFile: BROKER_CERTIFICATE, keyFile: BROKER_KEY };
/** An address of TEST-NET-1 (RFC 5737): no interface of a test machine has it, and binding sends nothing. */
const FOREIGN_ADDRESS = '192.0.2.1';

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await occupiedPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a daemon that must be refused; returns its stderr once it has exited 1, and checks the lock is free again. */
async function refusedStart(options: DaemonOptions): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-listen-'));
  try {
    const outcome = await Daemon.start({ ...options, dataDir }).then(async (daemon) => { await daemon.cleanup(); return undefined; }, (error: unknown) => error);
    assert.instance(outcome, DaemonStartError, 'the start is refused');
    const failure = outcome as DaemonStartError;
    assert.is(failure.exitCode, 1, failure.message);
    assert.not.match(failure.stderr, /\n\s+at /, 'no stack trace');
    // The refused daemon released the lock on its way out.
    (await lockDataDir(join(dataDir, 'data')))();
    return failure.stderr.trim();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('in one process: a refused start leaves no listener bound, no file open and the lock free', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-listen-'));
  const { port: busy, server } = await occupiedPort();
  try {
    const config = defaultConfig();
    config.node.dataDir = join(dataDir, 'data');
    config.log.level = 'fatal';
    const ports = { kafka: await freePort(), mqtt: await freePort(), http: await freePort() };
    config.listeners.kafka = { host: '127.0.0.1', port: ports.kafka };
    config.listeners.mqtt = { host: '127.0.0.1', port: ports.mqtt };
    config.listeners.http = { host: '127.0.0.1', port: ports.http };
    config.listeners.mqttWs = { ...config.listeners.mqttWs, host: '127.0.0.1', port: busy };
    // A closed handle leaves the list in the close phase of the event loop, before the next timers.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const resourcesBefore = process.getActiveResourcesInfo().sort();
    const error = await startEdge(config, createLogger({ level: 'fatal', name: 'listen-test' })).then(() => undefined, (failure: unknown) => failure);
    assert.ok(isTributaryError(error, 'LISTEN_FAILED'), String(error));
    assert.is((error as Error).message, `listeners.mqttWs: 127.0.0.1:${busy} is already in use`);
    // Every other listener was closed again: each port binds.
    for (const port of Object.values(ports)) {
      const probe = createServer();
      await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
    const openInDataDir = readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }).filter((target) => target.startsWith(dataDir));
    assert.equal(openInDataDir, [], 'no file of the data directory is open');
    (await lockDataDir(config.node.dataDir))();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(process.getActiveResourcesInfo().sort(), resourcesBefore, 'no socket, timer or handle left behind');
  } finally {
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const LISTENERS: { key: string; options: (port: number) => DaemonOptions }[] = [
  { key: 'listeners.kafka', options: (port) => ({ config: { listeners: { kafka: { port } } } }) },
  { key: 'listeners.kafkaTls', options: (port) => ({ config: { listeners: { kafkaTls: { enabled: true, host: '127.0.0.1', port, ...TLS_FILES } } } }) },
  { key: 'listeners.mqtt', options: (port) => ({ config: { listeners: { mqtt: { port } } } }) },
  { key: 'listeners.mqtts', options: (port) => ({ config: { listeners: { mqtts: { enabled: true, host: '127.0.0.1', port, ...TLS_FILES } } } }) },
  { key: 'listeners.mqttWs', options: (port) => ({ config: { listeners: { mqttWs: { port } } } }) },
  { key: 'listeners.http', options: (port) => ({ config: { listeners: { http: { port } } } }) },
  { key: 'listeners.kafka', options: (port) => ({ subcommand: 'central', config: { listeners: { kafka: { port } } } }) },
  { key: 'listeners.http', options: (port) => ({ subcommand: 'central', config: { listeners: { http: { port } } } }) },
  {
    key: 'mirror.http',
    options: (port) => ({ subcommand: 'mirror', config: { mirror: { embedded: false, target: { bootstrap: ['127.0.0.1:1'] }, http: { host: '127.0.0.1', port } } } }),
  },
];

for (const { key, options } of LISTENERS) {
  const command = options(0).subcommand ?? 'edge';
  test(`tributary ${command}: a port already in use on ${key} is one line naming it`, async () => {
    const { port, server } = await occupiedPort();
    try {
      assert.is(await refusedStart(options(port)), `tributary: ${key}: 127.0.0.1:${port} is already in use`);
    } finally {
      server.close();
    }
  });
}

test('an address no interface has is named with the reason (EADDRNOTAVAIL)', async () => {
  const stderr = await refusedStart({ config: { listeners: { mqttWs: { host: FOREIGN_ADDRESS, port: 0 } } } });
  assert.is(stderr, `tributary: listeners.mqttWs: ${FOREIGN_ADDRESS}:0 cannot be bound: no network interface of this machine has that address (EADDRNOTAVAIL)`);
});

test('a privileged port without the privilege is named with the reason (EACCES)', async () => {
  // As root every port binds, so the daemon runs as nobody (setpriv, util-linux) there.
  const asRoot = process.getuid?.() === 0;
  const options: DaemonOptions = { config: { listeners: { http: { port: 1 } } }, ...(asRoot ? { wrapper: [requireProgram('setpriv'), '--reuid=65534', '--regid=65534', '--clear-groups'] } : {}) };
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-listen-'));
  chmodSync(dataDir, 0o777);
  try {
    const failure = await Daemon.start({ ...options, dataDir }).then(async (daemon) => { await daemon.cleanup(); return undefined; }, (error: unknown) => error);
    assert.instance(failure, DaemonStartError, 'binding port 1 is refused (is net.ipv4.ip_unprivileged_port_start above 1 here?)');
    assert.is((failure as DaemonStartError).stderr.trim(), 'tributary: listeners.http: 127.0.0.1:1 cannot be bound: permission denied; a port below 1024 needs root or CAP_NET_BIND_SERVICE (EACCES)');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
