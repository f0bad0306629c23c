// Swapping a compacted segment in for the segments it replaces, so that a crash at any
// moment leaves the old segments or the new one on disk, never a mix and never both.
//
// The cleaner writes the new segment as `<base>.log.cleaned` and syncs it. Then:
//   1. commit:  rename it to `<base>.log.<end>.swap` and sync the directory. From here on the
//               swap file is the truth for offsets [base, end); before, the old segments are.
//   2. finish:  unlink every old segment file in [base, end) (log, offset index, time index)
//               except `<base>.log`, sync the directory, rename the swap file over `<base>.log`
//               and sync the directory again.
// Recovery deletes `.cleaned` files (an uncommitted pass) and finishes every swap file it
// finds (step 2 is idempotent), before it lists the segments. The old files are unlinked
// before the rename, and the directory synced in between, so that no crash can leave the
// new `<base>.log` beside an old later segment whose records it already holds (which would
// bring back records compaction removed).
import { join } from 'node:path';
import type { Logger } from '../../../shared/logger.ts';
import type { FileLayer } from '../file-io.ts';
import { LOG_SUFFIX, OFFSET_INDEX_SUFFIX, TIME_INDEX_SUFFIX, offsetFileName, parseOffsetFileName } from '../segment.ts';

const CLEANED_SUFFIX = '.cleaned';
const SWAP_SUFFIX = '.swap';
const OFFSET_DIGITS = 20;

/** Where the cleaner writes the compacted segment of base offset `base`. */
export function cleanedSegmentPath(directory: string, base: bigint): string {
  return join(directory, `${offsetFileName(base, LOG_SUFFIX)}${CLEANED_SUFFIX}`);
}

function swapName(base: bigint, end: bigint): string {
  return `${offsetFileName(base, LOG_SUFFIX)}.${end.toString().padStart(OFFSET_DIGITS, '0')}${SWAP_SUFFIX}`;
}

function parseSwapName(name: string): { base: bigint; end: bigint } | undefined {
  if (!name.endsWith(SWAP_SUFFIX)) return undefined;
  const stem = name.slice(0, -SWAP_SUFFIX.length);
  const dot = stem.lastIndexOf('.');
  const base = parseOffsetFileName(stem.slice(0, dot), LOG_SUFFIX);
  const end = stem.slice(dot + 1);
  if (base === undefined || end.length !== OFFSET_DIGITS || !/^\d+$/.test(end)) return undefined;
  return { base, end: BigInt(end) };
}

/** Step 1: the synced `.cleaned` file of [base, end) becomes the truth for those offsets. */
export async function commitSwap(files: FileLayer, directory: string, base: bigint, end: bigint): Promise<void> {
  await files.rename(cleanedSegmentPath(directory, base), join(directory, swapName(base, end)));
  await files.syncDirectory(directory);
}

/** Step 2: the old segments of [base, end) go and the swap file takes `<base>.log`. `names` lists the directory. */
export async function finishSwap(files: FileLayer, directory: string, base: bigint, end: bigint, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const logBase = parseOffsetFileName(name, LOG_SUFFIX);
    const indexBase = parseOffsetFileName(name, OFFSET_INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX);
    const fileBase = logBase ?? indexBase;
    if (fileBase === undefined || fileBase < base || fileBase >= end) continue;
    // <base>.log is replaced by the rename below, atomically; its index files describe the old one.
    if (logBase === base) continue;
    await files.unlink(join(directory, name));
  }
  await files.syncDirectory(directory);
  await files.rename(join(directory, swapName(base, end)), join(directory, offsetFileName(base, LOG_SUFFIX)));
  await files.syncDirectory(directory);
}

/**
 * At open, before the segments are listed: drops uncommitted compaction output and finishes
 * committed swaps. Returns whether the directory changed (then list it again).
 */
export async function completeInterruptedSwaps(files: FileLayer, directory: string, names: readonly string[], logger: Logger): Promise<boolean> {
  let changed = false;
  for (const name of names) {
    if (!name.endsWith(CLEANED_SUFFIX)) continue;
    await files.unlink(join(directory, name));
    changed = true;
  }
  for (const name of names) {
    const swap = parseSwapName(name);
    if (swap === undefined) continue;
    logger.info({ event: 'compaction-swap-finished', directory, baseOffset: swap.base.toString(), endOffset: swap.end.toString() }, 'finishing a compacted segment swap that a stop interrupted');
    await finishSwap(files, directory, swap.base, swap.end, names);
    changed = true;
  }
  if (changed) await files.syncDirectory(directory);
  return changed;
}
