// The ACLs, kept durably in one JSON file under the data directory (acls.json), replaced
// whole and atomically (durable-list-file.ts): after a power cut the file holds the ACLs
// before a change or after it, never a mix. A change is acknowledged to the client only
// once it is on flash.
import { join } from 'node:path';
import { ListFileWriter, readListFile, type ListFileFormat } from '../durable-list-file.ts';
import { TributaryError } from '../../../shared/errors.ts';
import { bindingProblem, type AclBinding } from './acl.ts';

export const ACL_FILE_NAME = 'acls.json';
/**
 * ACLs held at once: every request's check walks the ACLs of its resource type, and the
 * file (about 100 bytes an ACL) must stay under the durable JSON file's 1 MiB bound.
 */
export const ACLS_MAX = 5_000;

const ACL_FILE_FORMAT: ListFileFormat<AclBinding> = {
  // A newer format is refused rather than misread.
  version: 1,
  key: 'acls',
  corruptCode: 'ACL_FILE_CORRUPT',
  lostOnRemoval: 'every ACL is then gone',
  entryProblem: bindingProblem,
};

export class AclStore {
  readonly #path: string;
  readonly #writer: ListFileWriter;
  #bindings: readonly AclBinding[];

  private constructor(path: string, bindings: readonly AclBinding[]) {
    this.#path = path;
    this.#writer = new ListFileWriter(path, ACL_FILE_FORMAT);
    this.#bindings = bindings;
  }

  /** Reads the ACLs under `dataDir`; a file that is damaged stops the start, naming the file and the entry. */
  static async open(dataDir: string): Promise<AclStore> {
    const path = join(dataDir, ACL_FILE_NAME);
    return new AclStore(path, await readListFile(path, ACL_FILE_FORMAT));
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
    return this.#writer.replace(next, () => {
      this.#bindings = next;
    });
  }
}
