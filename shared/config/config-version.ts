// A short name for an effective configuration: the same file gives the same version on
// every edge, and any change to any key gives another. The fleet view shows it per edge,
// so that an operator sees which edges run an older configuration.
import { createHash } from 'node:crypto';

/** Hex digits kept: 48 bits tell apart the few configurations a fleet has, and stay readable. */
const CONFIG_VERSION_HEX_DIGITS = 12;

/** The version of `config`: a hash of its canonical JSON (keys sorted), so key order in the file does not matter. */
export function configVersion(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, CONFIG_VERSION_HEX_DIGITS);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
