// A small JSON file replaced atomically and durably: written beside its final name,
// fsynced, renamed over it, and the directory fsynced, so that after a crash or a power
// cut the file holds the old contents or the new ones, never a mix (POSIX rename). Source
// connectors keep their checkpoint in one (position-checkpoint.ts).
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Largest checkpoint read back; a connector's position is small (an OPC UA source's is the largest: a timestamp per node). */
export const CHECKPOINT_FILE_BYTES_MAX = 1024 * 1024;

export async function writeJsonDurably(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value)}\n`;
  if (Buffer.byteLength(text) > CHECKPOINT_FILE_BYTES_MAX) throw new RangeError(`${path}: a checkpoint of ${Buffer.byteLength(text)} bytes exceeds ${CHECKPOINT_FILE_BYTES_MAX}`);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/** Makes the directory's entries (a file created, renamed or removed) durable. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The file's JSON, undefined when there is none; a file that does not parse is reported, not thrown. */
export async function readJsonFile(path: string): Promise<{ value: unknown } | { problem: string } | undefined> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > CHECKPOINT_FILE_BYTES_MAX) return { problem: `${path} is ${bytes.length} bytes, above ${CHECKPOINT_FILE_BYTES_MAX}` };
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  } finally {
    // A temporary file left by a crash before its rename is never read.
    await rm(`${path}.tmp`, { force: true });
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `${path} does not parse as JSON: ${(error as Error).message}` };
  }
}
