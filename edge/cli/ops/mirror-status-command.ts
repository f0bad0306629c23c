// `tributary mirror status`: the mirror's state as the edge's HTTP admin API reports it
// (/api/mirror), or, from an edge whose admin API has no mirror route, the mirror's
// Prometheus metrics.
import { TributaryError } from '../../../shared/errors.ts';
import { adminRequest, adminUrl, DEFAULT_ADMIN_URL } from './admin-api.ts';
import { optionInvalid } from './bootstrap.ts';
import { parseCommandArgs } from './command-args.ts';
import type { MirrorPartitionJson } from './mirror-report.ts';


const USAGE = `usage: tributary mirror status [--admin URL] [--json]

Shows the mirror of an edge: its state, its target, the backlog still to deliver and
the delivered offsets per partition.

options:
  --admin URL   the edge's HTTP admin address (default ${DEFAULT_ADMIN_URL})
  --json        print the admin API's JSON as it is`;

const OPTIONS = {
  admin: { type: 'string', short: 'a', default: DEFAULT_ADMIN_URL },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Metric names that belong to the mirror. */
const MIRROR_METRIC_PREFIX = 'tributary_mirror_';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [action] = positionals;
  if (values.help || action === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (action !== 'status') throw optionInvalid(`unknown action "${action}"; tributary mirror --help lists the actions`);
  const base = adminUrl(values.admin);

  const mirror = await get(base, '/api/mirror');
  if (mirror.status === 200) {
    const body = JSON.parse(mirror.text) as Record<string, unknown>;
    if (values.json) console.log(JSON.stringify(body, null, 2));
    else console.log(mirrorText(body));
    return 0;
  }
  if (mirror.status !== 404) throw new TributaryError('ADMIN_API_FAILED', `${new URL('/api/mirror', base)} answered ${mirror.status}: ${mirror.text.slice(0, 200)}`);
  // An edge without the mirror route: its metrics are all there is to say.
  const metrics = await get(base, '/metrics');
  if (metrics.status !== 200) throw new TributaryError('ADMIN_API_FAILED', `${new URL('/metrics', base)} answered ${metrics.status}`);
  const lines = metrics.text.split('\n').filter((line) => line.startsWith(MIRROR_METRIC_PREFIX));
  console.log(lines.length === 0 ? `the edge at ${base.origin} reports no mirror (no /api/mirror, no ${MIRROR_METRIC_PREFIX}* metrics)` : lines.join('\n'));
  return 0;
}

function get(base: URL, path: string): Promise<{ status: number; text: string }> {
  return adminRequest(base, path);
}

function mirrorText(body: Record<string, unknown>): string {
  if (body.configured === false) return `no mirror is configured on this edge${typeof body.reason === 'string' ? ` (${body.reason})` : ''}`;
  const lines = [
    `state: ${String(body.state ?? 'unknown')}`,
    ...(body.target !== undefined ? [`target: ${String(body.target)}`] : []),
    `backlog: ${String(body.backlogRecords ?? '?')} records${body.backlogBytes !== undefined ? `, ${String(body.backlogBytes)} bytes` : ''}${body.backlogSeconds !== undefined ? `, ${String(body.backlogSeconds)} s behind` : ''}`,
    `delivered: ${String(body.deliveredRecordsTotal ?? '?')} records since start`,
  ];
  if (typeof body.lostRecordsTotal === 'number' && body.lostRecordsTotal > 0) lines.push(`lost: ${body.lostRecordsTotal} records evicted before delivery`);
  if (typeof body.errorsTotal === 'number') lines.push(`errors: ${body.errorsTotal}`);
  if (body.lastError) lines.push(`last error: ${String(body.lastError)}`);
  const partitions = Array.isArray(body.partitions) ? body.partitions as MirrorPartitionJson[] : [];
  if (partitions.length > 0) {
    lines.push('', 'TOPIC\tPARTITION\tDELIVERED\tLOG-END\tBACKLOG');
    for (const entry of partitions) lines.push(`${entry.topic}\t${entry.partition}\t${entry.deliveredOffset}\t${entry.logEndOffset}\t${entry.backlogRecords}`);
  }
  return lines.join('\n');
}
