// Debian's mosquitto_pub and mosquitto_sub, run to their exit against a daemon's TLS or TCP
// listener: what each prints and its exit code, which is what a user of them sees.
import { execFile, spawn } from 'node:child_process';
import { requireProgram } from '../../../helpers/system-programs.ts';

/** A client that has not exited by then is killed, so that a broken test ends. */
const CLIENT_TIMEOUT_MS = 30_000;

export interface ClientRun {
  code: number;
  /** Standard output and standard error together, as a terminal shows them. */
  output: string;
}

/** The client's TLS options: the broker's CA, and a client certificate (none: no --cert). */
export interface ClientTls {
  cafile: string;
  cert?: string;
  key?: string;
}

export function tlsArguments(tls: ClientTls): string[] {
  return ['--cafile', tls.cafile, ...(tls.cert === undefined ? [] : ['--cert', tls.cert, '--key', tls.key!])];
}

/** Runs `program` with `args`; resolves with its exit code and what it printed. */
export function runMosquittoClient(program: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Promise<ClientRun> {
  return new Promise((resolve) => {
    execFile(requireProgram(program), args, { timeout: CLIENT_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A mosquitto_sub running until it has its messages (-C) or its wait (-W) ends. */
export interface RunningSubscriber {
  /** Resolves once the broker granted the subscription (mosquitto_sub -d prints the SUBACK). */
  subscribed: Promise<void>;
  /** Its exit; `messages` holds the lines that are not -d's debug output. */
  exited: Promise<ClientRun & { messages: string[] }>;
}

const DEBUG_LINE = /^(Client \S+ (sending|received) [A-Z]+|Subscribed \(mid: )/;

/** Starts mosquitto_sub with `args` and -d, so that the test can wait for its SUBACK instead of sleeping. */
export function startMosquittoSub(args: string[]): RunningSubscriber {
  // Into a pipe, mosquitto_sub's output is block-buffered until it exits; stdbuf (coreutils) makes it line-buffered.
  const child = spawn('stdbuf', ['-oL', requireProgram('mosquitto_sub'), '-d', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
  let output = '';
  let markSubscribed: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => { markSubscribed = resolve; });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (/received SUBACK/.test(output)) markSubscribed();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<ClientRun & { messages: string[] }>((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    markSubscribed();
    const messages = output.split('\n').filter((line) => line !== '' && !DEBUG_LINE.test(line) && !line.startsWith(' '));
    resolve({ code: code ?? -1, output, messages });
  }));
  return { subscribed, exited };
}
