// File source: tails a text file into a topic, one record per line, exactly once.
//
// Its position is the file's identity and the byte offset after the last line appended:
// {ino, head, headBytes, offset}, where head is the CRC-32C of the file's first headBytes
// bytes, so that a new file that happens to get a deleted file's inode number is not
// taken for it. The position rides in the log with the lines (runtime/source-output.ts),
// so after a crash reading resumes after the last line that is durable in the log: no
// line is lost or appended twice.
//
// Rotation is followed as logrotate does it:
// - rename ("create"): the path names a new file while the old one is still open; the old
//   one is read to its end (and one more poll, for a writer that has not reopened yet),
//   then the new one from its beginning. After a restart the old file is looked for by
//   identity among the files beside the path whose names begin with its name
//   (app.log.1, app.log-20260101), so the lines it got after the last checkpoint are
//   still read;
// - truncation ("copytruncate"): the file is shorter than the position; reading starts
//   again at its beginning.
import { crc32c } from '@node-rs/crc32';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileSourceConfig } from '../../../shared/config/connectors-schema.ts';
import { waitUnlessAborted } from '../runtime/backoff.ts';
import { peerFailure } from '../runtime/connector-runtime.ts';
import { sourceConnector, type ConnectorFactory, type SourceSession } from '../runtime/connector-kinds.ts';
import type { SourceRecord } from '../runtime/source-output.ts';
import { LineSplitter } from './line-splitter.ts';

/** Bytes read per read call: large sequential reads, a few per batch of lines. */
const READ_BYTES = 256 * 1024;
/** Bytes of the file's beginning that identify it beside its inode number. */
const HEAD_BYTES_MAX = 256;

export interface FilePosition {
  ino: number;
  /** CRC-32C of the first headBytes bytes, hex. */
  head: string;
  headBytes: number;
  /** Byte offset after the last line appended. */
  offset: number;
}

interface OpenFile {
  handle: FileHandle;
  path: string;
  ino: number;
  head: string;
  headBytes: number;
}

export const fileSource: ConnectorFactory<FileSourceConfig> = (config, deps) => sourceConnector<FilePosition>(config, deps, {
  session: (session) => tail(config, session),
});

async function headOf(handle: FileHandle, size: number): Promise<{ head: string; headBytes: number }> {
  const headBytes = Math.min(size, HEAD_BYTES_MAX);
  const buffer = Buffer.alloc(headBytes);
  if (headBytes > 0) await handle.read(buffer, 0, headBytes, 0);
  return { head: (crc32c(buffer) >>> 0).toString(16), headBytes };
}

async function openFile(path: string): Promise<OpenFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw peerFailure('connect', `file source: cannot open ${path}: ${(error as Error).message}`, error);
  }
  const info = await handle.stat();
  return { handle, path, ino: info.ino, ...(await headOf(handle, info.size)) };
}

/** Whether `file` is the one `position` was taken in: same inode, same first bytes. */
async function isFileOf(file: OpenFile, position: FilePosition): Promise<boolean> {
  if (file.ino !== position.ino) return false;
  const { size } = await file.handle.stat();
  if (size < position.headBytes) return false;
  const buffer = Buffer.alloc(position.headBytes);
  if (position.headBytes > 0) await file.handle.read(buffer, 0, position.headBytes, 0);
  return (crc32c(buffer) >>> 0).toString(16) === position.head;
}

/** The file `position` was taken in: the path itself, or a rotated file beside it. */
async function findFileOf(path: string, position: FilePosition): Promise<OpenFile | undefined> {
  const name = basename(path);
  const siblings = (await readdir(dirname(path)).catch(() => [] as string[])).filter((entry) => entry !== name && entry.startsWith(name));
  for (const candidate of [path, ...siblings.map((entry) => join(dirname(path), entry))]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.ino !== position.ino) continue;
    const file = await openFile(candidate);
    if (file !== undefined && (await isFileOf(file, position))) return file;
    await file?.handle.close();
  }
  return undefined;
}

/** Whether the open file is shorter than what was read, or no longer begins as it did. */
async function wasTruncated(file: OpenFile, offset: number): Promise<boolean> {
  const { size } = await file.handle.stat();
  if (size < offset) return true;
  return !(await isFileOf(file, { ino: file.ino, head: file.head, headBytes: file.headBytes, offset }));
}

async function tail(config: FileSourceConfig, session: SourceSession<FilePosition>): Promise<void> {
  const { output, signal, logger, meter } = session;
  const resumeFrom = output.position;
  let file: OpenFile | undefined;
  let offset = 0;
  if (resumeFrom !== undefined) {
    file = await findFileOf(config.path, resumeFrom);
    if (file !== undefined) {
      offset = resumeFrom.offset;
    } else {
      meter.error('file-lost');
      logger.warn({ connector: config.name, path: config.path, position: resumeFrom }, 'the file being read before is gone (rotated away and deleted): lines it got after the last one appended are lost; reading the current file from its beginning');
    }
  }
  let waitingLogged = false;
  while (file === undefined && !signal.aborted) {
    file = await openFile(config.path);
    if (file === undefined) {
      if (!waitingLogged) logger.warn({ connector: config.name, path: config.path }, 'the file to tail does not exist yet; waiting for it');
      waitingLogged = true;
      await waitUnlessAborted(config.pollMs, signal);
      continue;
    }
    if (resumeFrom === undefined && config.startAt === 'end') offset = (await file.handle.stat()).size;
  }
  if (file === undefined) return;
  session.connected();
  const splitter = new LineSplitter(config.maxLineBytes, (bytes, at) => {
    meter.error('line-too-long');
    logger.warn({ connector: config.name, path: file!.path, offset: at, bytes, maxLineBytes: config.maxLineBytes }, 'a line longer than maxLineBytes was skipped');
  });
  splitter.reset(offset);
  const buffer = Buffer.alloc(READ_BYTES);
  let quietPollsAfterRotation = 0;
  try {
    while (!signal.aborted) {
      const { bytesRead } = await file.handle.read(buffer, 0, READ_BYTES, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        quietPollsAfterRotation = 0;
        await appendLines(output, file, splitter.push(buffer.subarray(0, bytesRead)));
        continue;
      }
      // At the end: has the file been rotated away?
      const current = await stat(config.path).catch(() => undefined);
      if (current !== undefined && current.ino !== file.ino) {
        // Renamed away: a writer may still finish its last lines in the old file, so give it one poll.
        if (quietPollsAfterRotation < 1) {
          quietPollsAfterRotation += 1;
        } else {
          const next = await openFile(config.path);
          if (next !== undefined) {
            // A last line without its newline will not be finished in the old file.
            await appendLines(output, file, splitter.flush());
            logger.info({ connector: config.name, from: file.path, ino: file.ino, to: next.ino }, 'the file was rotated: reading the new one from its beginning');
            await file.handle.close();
            file = next;
            offset = 0;
            splitter.reset(0);
            quietPollsAfterRotation = 0;
            continue;
          }
        }
      }
      await waitUnlessAborted(config.pollMs, signal);
      // Truncated in place (copytruncate), perhaps already written past the old offset again.
      if (await wasTruncated(file, offset)) {
        logger.warn({ connector: config.name, path: config.path, offset }, 'the file was truncated (copytruncate): reading it again from its beginning');
        Object.assign(file, await headOf(file.handle, (await file.handle.stat()).size));
        offset = 0;
        splitter.reset(0);
      }
    }
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('E')) throw peerFailure('read', `file source: reading ${file.path} failed: ${error.message}`, error);
    throw error;
  } finally {
    await file.handle.close().catch(() => {});
  }
}

async function appendLines(output: SourceSession<FilePosition>['output'], file: OpenFile, lines: { line: Buffer; end: number }[]): Promise<void> {
  if (lines.length === 0) return;
  // A file opened nearly empty is identified by more of its beginning once it has grown.
  if (file.headBytes < HEAD_BYTES_MAX) Object.assign(file, await headOf(file.handle, (await file.handle.stat()).size));
  const records: SourceRecord<FilePosition>[] = lines.map(({ line, end }) => ({ value: line, position: { ino: file.ino, head: file.head, headBytes: file.headBytes, offset: end } }));
  await output.append(records);
}
