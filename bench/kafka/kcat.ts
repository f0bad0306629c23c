// kcat (librdkafka, Debian's package) producing 100-byte records from a file and reading them
// back. A C client costs far less CPU than the JVM tools, which matters on a two-core machine
// where the client shares the cores with the broker it measures.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Bound on one kcat run; a run that hangs fails instead of waiting forever. */
const COMMAND_TIMEOUT_MS = 300_000;
/** Records written to the records file per write call. */
const LINES_PER_CHUNK = 10_000;
/** The same producer settings for every broker: acks=all, and the small linger that lets librdkafka batch. */
const PRODUCER_SETTINGS = ['-X', 'acks=all', '-X', 'linger.ms=5'];

function command(name: string, args: string[], stdout: 'ignore' | 'count-lines' = 'ignore'): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(name, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout === 'count-lines') for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
    });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, lines });
      else reject(new Error(`${name} ${args.join(' ')} exited ${code}\n${stderr}`));
    });
  });
}

/** The file kcat produces from: `records` lines of `recordBytes` bytes each. */
export function writeRecordsFile(path: string, records: number, recordBytes: number): void {
  const line = Buffer.alloc(recordBytes + 1, 0x61);
  line[recordBytes] = 10;
  const chunk = Buffer.concat(Array.from({ length: LINES_PER_CHUNK }, () => line));
  const fd = fs.openSync(path, 'w');
  try {
    for (let written = 0; written < records; written += LINES_PER_CHUNK) {
      fs.writeSync(fd, chunk, 0, Math.min(LINES_PER_CHUNK, records - written) * line.length);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Produces every line of `recordsFile` to `topic`; the seconds it took. */
export async function kcatProduce(bootstrap: string, topic: string, recordsFile: string): Promise<number> {
  return (await command('kcat', ['-b', bootstrap, '-P', '-t', topic, ...PRODUCER_SETTINGS, '-l', recordsFile])).seconds;
}

/**
 * The same run against librdkafka's in-memory mock broker (`test.mock.num.brokers`): what the
 * client manages on this machine with no broker work at all, the ceiling of every kcat figure.
 */
export async function kcatProduceToMockBroker(topic: string, recordsFile: string): Promise<number> {
  return (await command('kcat', ['-X', 'test.mock.num.brokers=1', '-b', '127.0.0.1:1', '-P', '-t', topic, ...PRODUCER_SETTINGS, '-l', recordsFile])).seconds;
}

/** Reads `topic` from the beginning to its end; the seconds it took and the records read. */
export async function kcatConsume(bootstrap: string, topic: string): Promise<{ seconds: number; records: number }> {
  const { seconds, lines } = await command('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '\\n'], 'count-lines');
  return { seconds, records: lines };
}
