// What the edge daemon needs to know about the mirror before (and without) loading it:
// whether one is configured, and the /api/mirror answer and its shape. Kept apart from the
// mirror itself so that an edge without a mirror never loads the Kafka client it uses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../shared/config/schema.ts';
import type { Heartbeat, LinkStateName } from './heartbeat.ts';
import type { Mirror } from './mirror.ts';

/** The mirror's state for the admin API (GET /api/mirror) and `tributary mirror status`. */
export interface MirrorReport {
  configured: true;
  state: LinkStateName;
  target: string;
  backlogRecords: number;
  backlogBytes: number;
  backlogSeconds: number;
  deliveredRecordsTotal: number;
  lostRecordsTotal: number;
  errorsTotal: number;
  lastError: string | null;
  partitions: MirrorPartitionReport[];
  /** Central topics the cluster refuses to create or grow, with what it said. */
  refusedTopics: { target: string; kafkaError: string | null; error: string; since: string; attempts: number }[];
  reverse: MirrorPartitionReport[];
}

export interface MirrorPartitionReport {
  topic: string;
  partition: number;
  target: string;
  deliveredOffset: string;
  logEndOffset: string;
  /** Records of this partition not yet delivered: the part of backlogRecords it holds. */
  backlogRecords: number;
}

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
