// What the edge daemon needs to know about the mirror before (and without) loading it:
// whether one is configured, and the /api/mirror answer and its shape. Kept apart from the
// mirror itself so that an edge without a mirror never loads the Kafka client it uses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../shared/config/schema.ts';
import type { Heartbeat } from '../shared/heartbeat.ts';
import type { MirrorPartitionReport, MirrorReport } from '../shared/mirror-report.ts';
import type { Mirror } from './mirror.ts';

export type { MirrorPartitionReport, MirrorReport };

/** The mirror's state now: what a heartbeat reports, with the records lost and the last error as the mirror keeps them. */
export type MirrorStatus = Pick<Heartbeat, 'linkState' | 'lagRecords' | 'lagBytes' | 'lagSeconds' | 'bytesSent' | 'recordsDelivered' | 'errors' | 'partitions'> & {
  recordsLost: number;
  lastError: { message: string; atMs: number } | undefined;
};

/** Whether this configuration runs a mirror at all. */
export function mirrorConfigured(config: Config): boolean {
  return config.mirror.target.bootstrap.length > 0;
}

/** GET /api/mirror on an admin port: the running mirror's report, or why there is none. */
export function mirrorRoute(config: Config, mirror: () => Mirror | undefined): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    const running = mirror();
    const body = running !== undefined
      ? running.report()
      : { configured: false, reason: !mirrorConfigured(config) ? 'mirror.target.bootstrap is empty' : !config.mirror.embedded ? 'mirror.embedded is false: the mirror runs as its own process (tributary mirror)' : 'the mirror is not running' };
    const text = JSON.stringify(body);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };
}
