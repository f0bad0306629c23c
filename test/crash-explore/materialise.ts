// Writes a crash state into a directory of its own, where the real recovery reads it.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CrashState } from './crash-states.ts';

/**
 * Where states are written: a tmpfs when the system has one (Linux's /dev/shm), since a
 * state is read once and thrown away and thousands of them need not wear a disk;
 * otherwise the system's temporary directory.
 */
export function statesRoot(): string {
  const memory = '/dev/shm';
  return mkdtempSync(join(existsSync(memory) ? memory : tmpdir(), 'tributary-crash-states-'));
}

export function materialise(state: CrashState, directory: string): void {
  mkdirSync(directory, { recursive: true });
  for (const path of [...state.directories].sort()) mkdirSync(join(directory, path), { recursive: true });
  for (const [path, bytes] of state.files) writeFileSync(join(directory, path), bytes);
}
