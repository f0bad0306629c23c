// The Kafka users a listener authenticates: those of kafka.sasl.users (the operator's file)
// and those of the credential store (edge/auth/scram-credential-store.ts, managed with
// AlterUserScramCredentials and `tributary users`), together. A name in both is the file's:
// the file is what the operator deploys and reloads, so an API call must not quietly
// override it, and the administrators who call the API are themselves in the file, so no
// API call can lock them out. The store's entry for such a name is kept but unused while
// the file defines it; AlterUserScramCredentials refuses to touch it (the handler says so).
//
// Every change, from a reload of the file or from the store, rebuilds the mechanisms and
// closes the connections of the users it removed or gave other credentials
// (edge/auth/revoked-users.ts), as Kafka closes a connection whose re-authentication fails.
import type { SaslMechanism } from '../../auth/sasl-mechanism.ts';
import { revokedUsers } from '../../auth/revoked-users.ts';
import { ScramCredentialStore } from '../../auth/scram-credential-store.ts';
import type { ScramUser } from '../../auth/scram-mechanism.ts';
import { saslMechanismsOf, type SaslUser } from './users.ts';

const FILE_SECTION = 'kafka.sasl.users';

/** Takes a change in: the new mechanisms, and the users whose connections must close; returns how many closed. */
export type UsersChanged = (mechanisms: readonly SaslMechanism[], revoked: ReadonlySet<string>, cause: string) => number;

/** A planned change of the stored users: what to store (undefined: nothing changes), and the answer. */
export interface StoredUsersChange<Answer> {
  next: readonly ScramUser[] | undefined;
  answer: Answer;
}

export class KafkaUsers {
  readonly #store: ScramCredentialStore;
  #fileUsers: readonly SaslUser[];
  #mechanisms: readonly SaslMechanism[];
  #changed: UsersChanged | undefined;
  /** Store changes run one at a time, each planned against the users the previous one left. */
  #changing: Promise<unknown> = Promise.resolve();

  private constructor(store: ScramCredentialStore, fileUsers: readonly SaslUser[]) {
    this.#store = store;
    this.#fileUsers = fileUsers;
    this.#mechanisms = saslMechanismsOf(KafkaUsers.#together(fileUsers, store.users), FILE_SECTION);
  }

  /** The file's users and the store under `dataDir`; a file user no client could use stops the start, naming its key. */
  static async open(dataDir: string, fileUsers: readonly SaslUser[]): Promise<KafkaUsers> {
    return new KafkaUsers(await ScramCredentialStore.open(dataDir), fileUsers);
  }

  /** The file's users first (their indexes are their keys in error messages), then the stored ones the file does not name. */
  static #together(fileUsers: readonly SaslUser[], storedUsers: readonly ScramUser[]): SaslUser[] {
    const inFile = new Set(fileUsers.map((user) => user.username));
    return [...fileUsers, ...storedUsers.filter((user) => !inFile.has(user.username))];
  }

  /** The mechanisms a new connection authenticates with. */
  get mechanisms(): readonly SaslMechanism[] {
    return this.#mechanisms;
  }

  /** Every user that can sign in, each once, with the credentials it signs in with. */
  get all(): readonly SaslUser[] {
    return KafkaUsers.#together(this.#fileUsers, this.#store.users);
  }

  /** Whether kafka.sasl.users names this user (so the store may not change it). */
  inFile(username: string): boolean {
    return this.#fileUsers.some((user) => user.username === username);
  }

  /** Where the store keeps its users, for messages. */
  get storePath(): string {
    return this.#store.path;
  }

  /** Called after each change with the new mechanisms and the users to cut off; the server's listeners take them. */
  whenChanged(listener: UsersChanged): void {
    this.#changed = listener;
  }

  /**
   * Checks a reloaded kafka.sasl.users (throwing names the key) and returns what makes it
   * the running one, with the users of the file and the store together: `mechanisms` are
   * those it would run with, and `commit` returns how many connections it closed.
   */
  prepareReload(nextFileUsers: readonly SaslUser[]): { mechanisms: readonly SaslMechanism[]; commit: () => number } {
    const mechanisms = saslMechanismsOf(KafkaUsers.#together(nextFileUsers, this.#store.users), FILE_SECTION);
    return {
      mechanisms,
      commit: () => this.#apply(() => {
        this.#fileUsers = nextFileUsers;
      }, `${FILE_SECTION}, reloaded`),
    };
  }

  /**
   * Runs `plan` against the stored users, after every change before it; stores what it
   * returns (durably: resolves once on flash), then swaps the mechanisms in and closes the
   * connections of the users it revoked. A failed write changes nothing and rejects.
   */
  change<Answer>(plan: (stored: readonly ScramUser[]) => StoredUsersChange<Answer>): Promise<Answer> {
    const run = this.#changing.then(async () => {
      const { next, answer } = plan(this.#store.users);
      if (next === undefined) return answer;
      const before = this.all;
      await this.#store.replace(next);
      this.#apply(() => undefined, `${this.#store.path}, altered`, before);
      return answer;
    });
    this.#changing = run.catch(() => undefined);
    return run;
  }

  #apply(swap: () => void, cause: string, before: readonly SaslUser[] = this.all): number {
    swap();
    const after = this.all;
    this.#mechanisms = saslMechanismsOf(after, FILE_SECTION);
    return this.#changed?.(this.#mechanisms, revokedUsers(before, after), cause) ?? 0;
  }
}
