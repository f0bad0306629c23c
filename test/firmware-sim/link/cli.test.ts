// Starts `tributary link` as a process, the way a test of another part or a demo does,
// and drives it through its HTTP control interface.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { closed, connect, readBytes, startEchoServer, type TestServer } from './servers.ts';
import { parseByteRate } from '../../../firmware-sim/link/cli.ts';

const cliPath = fileURLToPath(new URL('../../../firmware-sim/link/cli.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  lines: AsyncIterator<string>;
  stderr: () => string;
}

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function start(args: string[]): Running {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines, stderr: () => stderr };
}

/** The exit status, once the process has exited and its output has been read. */
async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  if (child.stdout!.readable || child.stderr!.readable) await Promise.all([child.stdout!.readable ? once(child.stdout!, 'close') : null, child.stderr!.readable ? once(child.stderr!, 'close') : null]);
  return child.exitCode;
}

async function nextEvent(running: Running): Promise<Record<string, unknown>> {
  const { value, done } = await running.lines.next();
  assert.not.ok(done, `the link exited early: ${running.stderr()}`);
  return JSON.parse(value as string) as Record<string, unknown>;
}

async function control(address: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`http://${address}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function echo(): Promise<TestServer> {
  const server = await startEchoServer();
  cleanups.push(() => server.close());
  return server;
}

test('prints the bound ports, obeys its control interface and stops on SIGTERM', async () => {
  const server = await echo();
  const running = start(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${server.port}`, '--control', '127.0.0.1:0', '--latency', '1']);
  const listening = await nextEvent(running);
  assert.is(listening.event, 'listening');
  assert.is(listening.target, `127.0.0.1:${server.port}`);
  const listenPort = Number(String(listening.listen).split(':')[1]);
  const controlAddress = String(listening.control);
  assert.ok(listenPort > 0);

  const socket = await connect(listenPort);
  socket.on('error', () => {});
  const pong = readBytes(socket, 4);
  socket.write('ping');
  assert.is((await pong).toString(), 'ping');

  const cut = await control(controlAddress, 'POST', '/cut?ms=60000');
  assert.is(cut.status, 200);
  assert.is(cut.json.state, 'cut');
  await closed(socket);
  assert.is((await nextEvent(running)).event, 'cut');

  const restored = await control(controlAddress, 'POST', '/restore');
  assert.is(restored.json.state, 'up');
  assert.is((await nextEvent(running)).event, 'restore');

  const blackhole = await control(controlAddress, 'POST', '/blackhole', { ms: 60000 });
  assert.is(blackhole.json.state, 'blackhole');
  await control(controlAddress, 'POST', '/restore');

  const shaped = await control(controlAddress, 'POST', '/shape', { bandwidthBytesPerSecond: 125000, latencyMs: 10 });
  assert.is(shaped.json.bandwidthBytesPerSecond, 125000);
  assert.is(shaped.json.latencyMs, 10);

  const stats = await control(controlAddress, 'GET', '/stats');
  assert.is(stats.json.cuts, 1);
  assert.is(stats.json.blackholes, 1);
  assert.is(stats.json.bytesUpstream, 4);
  assert.is(stats.json.bytesDownstream, 4);

  assert.is((await control(controlAddress, 'POST', '/cut?ms=-5')).status, 400);
  assert.is((await control(controlAddress, 'POST', '/shape', { bandwidth: 1 })).status, 400);
  assert.is((await control(controlAddress, 'GET', '/cut')).status, 405);
  assert.is((await control(controlAddress, 'GET', '/nothing')).status, 404);

  running.child.kill('SIGTERM');
  let last: Record<string, unknown> = {};
  for (let line = await running.lines.next(); !line.done; line = await running.lines.next()) last = JSON.parse(line.value) as Record<string, unknown>;
  assert.is(last.event, 'closed');
  const code = await exited(running.child);
  assert.is(code, 0);
});

test('--route adds routes through the same link, each to its own target', async () => {
  const first = await echo();
  const second = await echo();
  const running = start(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${first.port}`, '--route', `127.0.0.1:0=127.0.0.1:${second.port}`]);
  const listening = await nextEvent(running);
  const routes = listening.routes as { listen: string; target: string }[];
  assert.equal(routes.map((route) => route.target), [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`]);
  const serverSide = second.nextSocket();
  const socket = await connect(Number(routes[1]!.listen.split(':')[1]));
  cleanups.push(() => void socket.destroy());
  const echoed = readBytes(socket, 5);
  socket.write('route');
  assert.is((await echoed).toString(), 'route');
  await serverSide;
});

test('runs scheduled cuts from the command line', async () => {
  const server = await echo();
  const running = start(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${server.port}`, '--cut-every', '100', '--cut-for', '30']);
  assert.is((await nextEvent(running)).event, 'listening');
  const cut = await nextEvent(running);
  assert.equal(cut, { event: 'cut', durationMs: 30 });
  assert.is((await nextEvent(running)).event, 'restore');
});

test('bad arguments exit with status 2 and say what is wrong', async () => {
  for (const [args, pattern] of [
    [['--target', '127.0.0.1:1'], /--listen and --target are required/],
    [['--listen', '127.0.0.1:0', '--target', 'nowhere'], /--target: "nowhere" is not HOST:PORT/],
    [['--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--bandwidth', 'fast'], /--bandwidth/],
    [['--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--cut-every', '100'], /--cut-for is required/],
    [['--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--frobnicate'], /frobnicate/],
    [['--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--route', '127.0.0.1:0'], /--route: "127\.0\.0\.1:0" is not LISTEN=TARGET/],
    [['--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--route', '127.0.0.1:0=elsewhere'], /--route: "elsewhere" is not HOST:PORT/],
  ] as const) {
    const running = start([...args]);
    const code = await exited(running.child);
    assert.is(code, 2, `exit status for ${args.join(' ')}`);
    assert.match(running.stderr(), pattern);
  }
});

test('--help prints the usage', async () => {
  const running = start(['--help']);
  let text = '';
  for (let line = await running.lines.next(); !line.done; line = await running.lines.next()) text += `${line.value}\n`;
  assert.match(text, /Usage: tributary link/);
  const code = await exited(running.child);
  assert.is(code, 0);
});

test('bandwidth accepts decimal and binary suffixes', () => {
  assert.is(parseByteRate('125000'), 125_000);
  assert.is(parseByteRate('125k'), 125_000);
  assert.is(parseByteRate('1.5M'), 1_500_000);
  assert.is(parseByteRate('1mi'), 1_048_576);
  assert.throws(() => parseByteRate('0'), /--bandwidth/);
  assert.throws(() => parseByteRate('-5k'), /--bandwidth/);
});

test.run();
