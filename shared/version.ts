// Tributary's own version, from package.json: the daemon exports it as a metric, the
// mirror reports it in every heartbeat, and the fleet view shows it per edge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SOFTWARE_VERSION: string = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
