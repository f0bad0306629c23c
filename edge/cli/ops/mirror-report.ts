// The mirror's report as GET /api/mirror gives it (mirror/mirror.ts, report()), read by
// `tributary mirror status` and by the console. The backlog in it is the mirror's own,
// the one its metrics (tributary_mirror_lag_*) carry: nothing that reads it computes
// another. A type only: nothing of the mirror is loaded by importing it.
export type { MirrorReport as MirrorReportJson, MirrorPartitionReport as MirrorPartitionJson } from '../../../shared/mirror-report.ts';
