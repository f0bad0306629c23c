// The ACLs, kept durably in one JSON file under the data directory (acls.json): replaced
// whole, atomically (written beside it, fsynced, renamed over it, the directory fsynced),
// so after a power cut the file holds the ACLs before a change or after it, never a mix.
// A change is acknowledged to the client only once it is on flash. Edge devices hold tens
// of ACLs, so a whole-file rewrite per change is cheap and keeps recovery trivial.
import { join } from 'node:path';
import { readJsonFile, writeJsonDurably } from '../../connectors/runtime/checkpoint-file.ts';
import { TributaryError } from '../../../shared/errors.ts';
import { bindingProblem, type AclBinding } from './acl.ts';

export const ACL_FILE_NAME = 'acls.json';
/** Format of the file; a newer one is refused rather than misread. */
const ACL_FILE_VERSION = 1;
/**
 * ACLs held at once: every request's check walks the ACLs of its resource type, and the
 * file (about 100 bytes an ACL) must stay under the durable JSON file's 1 MiB bound.
 */
export const ACLS_MAX = 5_000;

export class AclStore {
  readonly #path: string;
  #bindings: readonly AclBinding[];
  /** Changes are written one after another, so a later write never lands before an earlier one. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, bindings: readonly AclBinding[]) {
    this.#path = path;
    this.#bindings = bindings;
  }

  /** Reads the ACLs under `dataDir`; a file that is damaged stops the start, naming the file and the entry. */
  static async open(dataDir: string): Promise<AclStore> {
    const path = join(dataDir, ACL_FILE_NAME);
    const read = await readJsonFile(path);
    if (read === undefined) return new AclStore(path, []);
    if ('problem' in read) throw new TributaryError('ACL_FILE_CORRUPT', `${read.problem}; restore it from a backup or remove it (every ACL is then gone)`, { path });
    const file = read.value as { version?: unknown; acls?: unknown };
    if (file.version !== ACL_FILE_VERSION || !Array.isArray(file.acls)) throw new TributaryError('ACL_FILE_CORRUPT', `${path}: expected {"version": ${ACL_FILE_VERSION}, "acls": [...]}`, { path });
    for (const [index, binding] of (file.acls as AclBinding[]).entries()) {
      const problem = bindingProblem(binding);
      if (problem !== undefined) throw new TributaryError('ACL_FILE_CORRUPT', `${path}: acls[${index}]: ${problem}`, { path });
    }
    return new AclStore(path, file.acls as AclBinding[]);
  }

  get bindings(): readonly AclBinding[] {
    return this.#bindings;
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Makes `next` the ACLs, durably; resolves once they are on flash. Readers see the new
   * ACLs only then, so nothing is enforced that a crash could take back.
   */
  replace(next: readonly AclBinding[]): Promise<void> {
    if (next.length > ACLS_MAX) return Promise.reject(new TributaryError('ACL_LIMIT', `${next.length} ACLs exceed the limit of ${ACLS_MAX}`, { limit: ACLS_MAX }));
    const write = this.#writing.then(async () => {
      await writeJsonDurably(this.#path, { version: ACL_FILE_VERSION, acls: next });
      this.#bindings = next;
    });
    this.#writing = write.catch(() => undefined);
    return write;
  }
}
