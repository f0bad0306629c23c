// Running client commands from the interop tests: one-shot commands with their output, and
// kcat's own output turned into consumer-group member events.
import { spawn } from 'node:child_process';
import type { MemberLine, MemberOutputAdapter } from '../../../edge/kafka/clients/support/member-process.ts';

import { requireProgram } from '../../../helpers/system-programs.ts';

/** kcat's full path; a missing kcat fails the test that asks, naming the Debian package. */
export const kcat = (): string => requireProgram('kcat');
/** A one-shot client command that runs longer than this is killed and fails its test. */
const COMMAND_TIMEOUT_MS = 60_000;

export interface CommandResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs a command to its end, feeding `input` on standard input. */
export function run(command: string, args: string[], input = ''): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    // A command may exit without reading its input (kcat -V): the write then fails with
    // EPIPE, and the exit status, not the pipe, says how the command went.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Runs a command and fails with its output unless it exits 0. */
export async function runOk(command: string, args: string[], input = ''): Promise<CommandResult> {
  const result = await run(command, args, input);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code ?? result.signal}\n${result.stderr}\n${result.stdout}`);
  return result;
}

interface KcatJsonRecord { partition: number; offset: number; key: string | null; payload: string | null; headers?: string[] }

/** A record line of `kcat -C -J` (or `-G -J`) as a member event. */
export function kcatRecord(line: string): MemberLine | undefined {
  if (!line.startsWith('{')) return undefined;
  const record = JSON.parse(line) as KcatJsonRecord;
  const headers: Record<string, string> = {};
  for (let index = 0; index + 1 < (record.headers ?? []).length; index += 2) headers[record.headers![index]!] = record.headers![index + 1]!;
  return { event: 'record', partition: record.partition, offset: String(record.offset), key: record.key, value: record.payload, headers };
}

/** kcat -G reports its assignment on standard error: "% Group g rebalanced (memberid m): assigned: t [0], t [3]". */
const REBALANCE_LINE = /^% Group \S+ rebalanced \(memberid [^)]*\): (assigned|revoked): ?(.*)$/;

export const kcatMemberAdapter: MemberOutputAdapter = {
  stdout: kcatRecord,
  stderr(line) {
    const match = REBALANCE_LINE.exec(line);
    if (!match) return undefined;
    if (match[1] === 'revoked') return { event: 'assigned', partitions: [] };
    const partitions = [...match[2]!.matchAll(/\[(\d+)\]/g)].map((found) => Number(found[1]));
    return { event: 'assigned', partitions };
  },
};
