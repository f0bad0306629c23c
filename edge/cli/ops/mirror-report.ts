// The mirror's report as GET /api/mirror gives it (mirror/mirror.ts, report()), read by
// `tributary mirror status` and by the console. The backlog in it is the mirror's own,
// the one its metrics (tributary_mirror_lag_*) carry: nothing here computes another.

export interface MirrorPartitionJson {
  topic: string;
  partition: number;
  target: string;
  deliveredOffset: string;
  logEndOffset: string;
  backlogRecords: number;
}

export interface MirrorReportJson {
  configured: true;
  state: string;
  target: string;
  backlogRecords: number;
  backlogBytes: number;
  backlogSeconds: number;
  deliveredRecordsTotal: number;
  lostRecordsTotal: number;
  errorsTotal: number;
  lastError: string | null;
  partitions: MirrorPartitionJson[];
  reverse: MirrorPartitionJson[];
}
