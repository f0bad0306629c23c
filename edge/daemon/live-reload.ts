// What SIGHUP (systemctl reload) applies without a restart, and how: the TLS certificates
// and keys of every TLS listener (read again even when their paths are unchanged, since a
// renewal writes the same files), the users of MQTT, Kafka SASL and the admin port, MQTT's
// permissions and allowAnonymous, and the Kafka authorizer's super users and default
// (kafka.authorization; the ACLs themselves change through CreateAcls and DeleteAcls). A reload is atomic: every part first builds its
// new settings from the new file and checks them (a part that throws names the key and the
// file), and only when all of them have passed does each swap them in, with nothing left
// that can fail. So an unreadable key or an expired certificate leaves every part on its
// running settings, not some parts on new ones. Every other setting is named as needing a
// restart and keeps its running value meanwhile.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../../shared/config/schema.ts';

/** The settings a reload applies, as paths into the configuration. */
const LIVE_SETTINGS: readonly (readonly string[])[] = [
  ['log', 'level'],
  ['kafka', 'sasl', 'users'],
  ['kafka', 'authorization'],
  ['mqtt', 'authentication'],
  ...(['kafkaTls', 'mqtts'] as const).flatMap((listener) => (['certFile', 'keyFile', 'caFile'] as const).map((key) => ['listeners', listener, key])),
];

/**
 * Checks a part's share of the new configuration (the running one with the live settings of
 * the file; throwing refuses the whole reload) and returns what swaps it in, which must not
 * fail; what that returns is logged as the part's outcome.
 */
export type PrepareReload = (candidate: Config) => () => unknown;

function parentOf(config: Config, path: readonly string[]): Record<string, unknown> {
  let node = config as unknown as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  return node;
}

/** Writes `source`'s live settings into `target`. */
export function adoptLiveSettings(target: Config, source: Config): void {
  for (const path of LIVE_SETTINGS) {
    const key = path.at(-1)!;
    parentOf(target, path)[key] = structuredClone(parentOf(source, path)[key]);
  }
}

/** `base` with the live settings of `source`: what a reload of `source` runs on. */
export function withLiveSettingsOf(base: Config, source: Config): Config {
  const result = structuredClone(base);
  adoptLiveSettings(result, source);
  return result;
}

/** The top-level sections of `next` that differ from `running` beyond the live settings. */
export function sectionsNeedingRestart(running: Config, next: Config): (keyof Config)[] {
  const comparable = withLiveSettingsOf(next, running);
  return (Object.keys(comparable) as (keyof Config)[]).filter((key) => !isDeepStrictEqual(comparable[key], running[key]));
}

/** The parts of a running daemon that a reload reaches, in the order they were added. */
export class LiveReload {
  readonly #parts: { name: string; prepare: PrepareReload }[] = [];

  add(name: string, prepare: PrepareReload): void {
    this.#parts.push({ name, prepare });
  }

  /** Checks every part, then swaps all in; throws (changing nothing) when a part refuses. Returns each part's outcome. */
  apply(candidate: Config): Record<string, unknown> {
    const commits = this.#parts.map(({ name, prepare }) => ({ name, commit: prepare(candidate) }));
    return Object.fromEntries(commits.map(({ name, commit }) => [name, commit()]));
  }
}
