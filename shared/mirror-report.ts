// The answer of GET /api/mirror, the contract between the mirror that writes it and the
// readers of it (`tributary mirror status`, the console): kept here so that neither side
// reaches into the other's folder.
import type { LinkStateName } from './heartbeat.ts';

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
