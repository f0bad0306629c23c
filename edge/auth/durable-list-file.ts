// A list kept whole in one JSON file under the data directory, {"version": n, "<key>": [...]},
// and replaced whole and atomically (checkpoint-file.ts: written beside it, fsynced, renamed
// over it, the directory fsynced), so after a power cut it holds the list before a change or
// after it, never a mix. The ACL store and the SCRAM credential store keep theirs this way:
// a device holds tens of entries, so a whole-file rewrite per change is cheap and keeps
// recovery trivial.
import { readJsonFile, writeJsonDurably } from '../connectors/runtime/checkpoint-file.ts';
import { TributaryError, type ErrorCode } from '../../shared/errors.ts';

export interface ListFileFormat<Entry> {
  /** Format of the file; another one is refused rather than misread. */
  version: number;
  /** The name the list is stored under. */
  key: string;
  /** The error a damaged file stops the start with. */
  corruptCode: ErrorCode;
  /** What removing the file loses, for the message that says how to recover. */
  lostOnRemoval: string;
  /** Why this entry cannot be used, or undefined; called for each entry in order. */
  entryProblem(entry: Entry): string | undefined;
}

/** Reads the list at `path`: empty when there is no file; a damaged file or entry throws, naming the file and the entry. */
export async function readListFile<Entry>(path: string, format: ListFileFormat<Entry>): Promise<Entry[]> {
  const read = await readJsonFile(path);
  if (read === undefined) return [];
  if ('problem' in read) throw new TributaryError(format.corruptCode, `${read.problem}; restore it from a backup or remove it (${format.lostOnRemoval})`, { path });
  const file = read.value as Record<string, unknown>;
  const entries = file[format.key];
  if (file.version !== format.version || !Array.isArray(entries)) {
    throw new TributaryError(format.corruptCode, `${path}: expected {"version": ${format.version}, "${format.key}": [...]}`, { path });
  }
  for (const [index, entry] of (entries as Entry[]).entries()) {
    const problem = format.entryProblem(entry);
    if (problem !== undefined) throw new TributaryError(format.corruptCode, `${path}: ${format.key}[${index}]: ${problem}`, { path });
  }
  return entries as Entry[];
}

/** Writes a list file's changes one after another, so that a later change never lands before an earlier one. */
export class ListFileWriter {
  readonly #path: string;
  readonly #format: Pick<ListFileFormat<unknown>, 'version' | 'key'>;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string, format: Pick<ListFileFormat<unknown>, 'version' | 'key'>) {
    this.#path = path;
    this.#format = format;
  }

  /** Makes `entries` the file's list durably, then calls `applied`; resolves once both are done. */
  replace(entries: readonly unknown[], applied: () => void): Promise<void> {
    const write = this.#writing.then(async () => {
      await writeJsonDurably(this.#path, { version: this.#format.version, [this.#format.key]: entries });
      applied();
    });
    this.#writing = write.catch(() => undefined);
    return write;
  }
}
