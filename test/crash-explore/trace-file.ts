// A recording saved to a file and read back. The workload's trace depends on timing (which
// appends group commit puts together), so a run that finds a violation saves its trace:
// the seed and a state's number rebuild that state only from the same trace.
import { readFileSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Recording } from './trace.ts';

export function saveRecording(recording: Recording, path: string): void {
  writeFileSync(path, gzipSync(serialize(recording)));
}

export function loadRecording(path: string): Recording {
  return deserialize(gunzipSync(readFileSync(path))) as Recording;
}
