// Which users a reload revokes: those no longer listed, and those whose credentials changed.
// A connection signed in with a secret that no longer holds (a password rotated because it
// leaked, a SCRAM credential replaced) is as much to be ended as one of a removed user; a
// user whose only change is its permissions keeps its connections, which take the new
// permissions (edge/mqtt/live-users.ts).
import { isDeepStrictEqual } from 'node:util';

export interface CredentialHolder {
  username: string;
  passwordHash?: string | undefined;
  scramSha256?: string | undefined;
  scramSha512?: string | undefined;
}

function credentialsOf(user: CredentialHolder): [string | undefined, string | undefined, string | undefined] {
  return [user.passwordHash, user.scramSha256, user.scramSha512];
}

/** The names of `before`'s users that `after` removes or gives other credentials. */
export function revokedUsers(before: readonly CredentialHolder[], after: readonly CredentialHolder[]): Set<string> {
  const next = new Map(after.map((user) => [user.username, credentialsOf(user)]));
  const revoked = new Set<string>();
  for (const user of before) {
    const credentials = next.get(user.username);
    if (credentials === undefined || !isDeepStrictEqual(credentials, credentialsOf(user))) revoked.add(user.username);
  }
  return revoked;
}
