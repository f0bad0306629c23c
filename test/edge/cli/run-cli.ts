// Runs `tributary …` as a child process, the way an operator does, and collects what it
// printed and how it exited.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../../../bin/tributary.js');
/** A CLI command against a local broker answers in seconds; past this it is hung. */
const COMMAND_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function runCli(args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tributary ${args.join(' ')} did not finish within ${COMMAND_TIMEOUT_MS} ms\n${stderr}`));
    }, COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(stdout);
      resolveResult({ code, stdout: bytes.toString('utf8'), stderr, stdoutBytes: bytes });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** The non-empty lines of a command's standard output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
