// File sink: appends a topic's records to a file, a line each, exactly once.
//
// The file's length is committed together with the offsets (in the consumer group's
// offset metadata, one transaction), after the written lines are fsynced. A crash
// between the write and the commit leaves lines the commit does not cover: at the next
// start the file is cut back to the committed length and those records are written
// again, so each record is in the file once.
//
// Rotation: once the file reaches rotateBytes it is renamed to <path>.<generation> and a
// new file begins; the generation is committed too. A crash between the rename and that
// commit is seen at start (<path>.<generation> exists while the commit still names that
// generation) and the rotation is finished. Rotated files beyond keepFiles are deleted.
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileSinkConfig } from '../../../shared/config/connectors-schema.ts';
import { peerFailure } from '../runtime/connector-runtime.ts';
import { sinkConnector, type ConnectorFactory, type SinkSession } from '../runtime/connector-kinds.ts';
import type { RecordData } from '../runtime/log-access.ts';
import { recordEnvelope } from '../runtime/record-envelope.ts';
import { syncDirectory } from '../runtime/checkpoint-file.ts';

/** Records and bytes written per write + fsync + commit: few, large writes suit flash. */
const WRITE_RECORDS_MAX = 1000;
const WRITE_BYTES_MAX = 1024 * 1024;
/** How long the sink waits for records before it looks again (and notices a stop). */
const IDLE_WAIT_MS = 1000;
const NEWLINE = Buffer.from('\n');

/** What is committed with the offsets: which file, and how much of it the offsets account for. */
interface FileState {
  generation: number;
  bytes: number;
}

export const fileSink: ConnectorFactory<FileSinkConfig> = (config, deps) => sinkConnector(config, deps, {
  session: (session) => writeFile(config, session),
});

export function rotatedPath(path: string, generation: number): string {
  return `${path}.${generation}`;
}

function parseState(metadata: string | undefined): FileState {
  if (metadata === undefined) return { generation: 1, bytes: 0 };
  const parsed = JSON.parse(metadata) as { file?: Partial<FileState> };
  const { generation, bytes } = parsed.file ?? {};
  if (!Number.isSafeInteger(generation) || !Number.isSafeInteger(bytes)) throw peerFailure('position', `file sink: the committed position's metadata is not the sink's own: ${metadata.slice(0, 200)}`);
  return { generation: generation!, bytes: bytes! };
}

const stateMetadata = (state: FileState): string => JSON.stringify({ file: state });

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeFile(config: FileSinkConfig, session: SinkSession): Promise<void> {
  const { input, signal, logger } = session;
  let state = parseState(input.committedMetadata);
  const interrupted = rotatedPath(config.path, state.generation);
  if ((await sizeOf(interrupted)) !== undefined) {
    // Renamed but not committed: finish the rotation (the rename was of a file already synced to state.bytes).
    await truncateTo(interrupted, state.bytes);
    state = await finishRotation(config, session, state);
  }
  let file: FileHandle;
  try {
    file = await open(config.path, 'a+');
  } catch (error) {
    throw peerFailure('connect', `file sink: cannot open ${config.path}: ${(error as Error).message}`, error);
  }
  try {
    const size = (await file.stat()).size;
    if (size > state.bytes) {
      logger.info({ connector: config.name, path: config.path, committedBytes: state.bytes, fileBytes: size }, 'cutting the file back to its committed length: the records past it are written again');
      await file.truncate(state.bytes);
      await file.sync();
    } else if (size < state.bytes) {
      logger.warn({ connector: config.name, path: config.path, committedBytes: state.bytes, fileBytes: size }, 'the file is shorter than the sink wrote: it was changed by something else; appending at its end');
      state = { ...state, bytes: size };
    }
    session.connected();
    while (!signal.aborted) {
      const batch = await input.next(WRITE_RECORDS_MAX, WRITE_BYTES_MAX, IDLE_WAIT_MS, signal);
      if (batch === undefined) continue;
      const lines = Buffer.concat(batch.records.flatMap((record) => [lineOf(config, record), NEWLINE]));
      try {
        await file.write(lines, 0, lines.length, state.bytes);
        await file.datasync();
      } catch (error) {
        throw peerFailure('deliver', `file sink: writing ${config.path} failed: ${(error as Error).message}`, error);
      }
      state = { ...state, bytes: state.bytes + lines.length };
      await input.commit(new Map([[batch.partition, batch.nextOffset]]), stateMetadata(state));
      session.meter.records(batch.records.length);
      if (config.rotateBytes > 0 && state.bytes >= config.rotateBytes) {
        await file.close();
        await rename(config.path, rotatedPath(config.path, state.generation));
        await syncDirectory(dirname(config.path));
        state = await finishRotation(config, session, state);
        file = await open(config.path, 'a+');
      }
    }
  } finally {
    await file.close().catch(() => {});
  }
}

/** After the rename: the next generation is committed, and rotated files beyond keepFiles are deleted. */
async function finishRotation(config: FileSinkConfig, session: SinkSession, state: FileState): Promise<FileState> {
  const next = { generation: state.generation + 1, bytes: 0 };
  await session.input.commit(new Map(), stateMetadata(next));
  session.logger.info({ connector: config.name, rotatedTo: rotatedPath(config.path, state.generation), bytes: state.bytes }, 'file rotated');
  const expired = state.generation - config.keepFiles;
  if (expired >= 1) await rm(rotatedPath(config.path, expired), { force: true });
  return next;
}

async function truncateTo(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    if ((await file.stat()).size > bytes) {
      await file.truncate(bytes);
      await file.sync();
    }
  } finally {
    await file.close();
  }
}

function lineOf(config: FileSinkConfig, record: RecordData): Buffer {
  if (config.format === 'json') return Buffer.from(JSON.stringify(recordEnvelope(record)), 'utf8');
  return record.value === null ? Buffer.alloc(0) : Buffer.from(record.value);
}
