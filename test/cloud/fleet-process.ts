// `tributary fleet` run as a user runs it: its own process, its HTTP port read from its
// "ready" line, stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { EdgeSummary } from '../../cloud/fleet.ts';

const CLI = resolve(import.meta.dirname, '../../bin/tributary.js');

export interface FleetProcess {
  readonly port: number;
  /** One edge's row, or undefined while the fleet has seen no heartbeat of it. */
  edge(id: string): Promise<EdgeSummary | undefined>;
  stop(): Promise<void>;
}

export async function startFleet(bootstrap: string): Promise<FleetProcess> {
  const fleet = spawn(process.execPath, [CLI, 'fleet', '--bootstrap', bootstrap, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolveExit) => fleet.once('exit', () => resolveExit()));
  let stderr = '';
  fleet.stderr!.on('data', (chunk) => { stderr += chunk; });
  const port = await new Promise<number>((resolveReady, rejectReady) => {
    createInterface({ input: fleet.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { event?: string; ports?: { http: number } };
      if (entry.event === 'ready') resolveReady(entry.ports!.http);
    });
    fleet.once('exit', (code) => rejectReady(new Error(`tributary fleet exited with ${code}: ${stderr}`)));
  });
  return {
    port,
    edge: async (id) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/edges/${encodeURIComponent(id)}`);
      return response.status === 200 ? await response.json() as EdgeSummary : undefined;
    },
    stop: async () => {
      if (fleet.exitCode === null && fleet.signalCode === null) fleet.kill('SIGTERM');
      await exited;
    },
  };
}
