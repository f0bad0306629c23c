// `tributary pipelines list|status|reset`: the pipelines of a running edge, through its
// HTTP admin API (GET /api/pipelines, POST /api/pipelines/reset).
import { TributaryError } from '../../shared/errors.ts';
import type { PipelineReport } from '../pipelines/pipeline-runner.ts';
import { adminRequest, adminUrl, DEFAULT_ADMIN_URL } from './ops/admin-api.ts';
import { optionInvalid } from './ops/bootstrap.ts';
import { parseCommandArgs, requiredName } from './ops/command-args.ts';
import { pipelineLag } from './ops/pipeline-lag.ts';

const USAGE = `usage: tributary pipelines list [--admin URL] [--json]
       tributary pipelines status [NAME] [--admin URL] [--json]
       tributary pipelines reset NAME [--from earliest|latest] [--admin URL]

list     the pipelines of a running edge: input and output topics, steps, lag
status   per pipeline and input partition: state, position, committed position,
         log end, lag, sequence of the next output, open windows and state entries
reset    forgets a pipeline's position and window state and starts it again from
         --from (its startFrom setting by default). Outputs already written stay:
         from earliest, the results of the records still kept are written again.

options:
  --admin URL   the edge's HTTP admin address (default ${DEFAULT_ADMIN_URL})
  --from WHERE  reset only: earliest or latest
  --json        print the admin API's JSON as it is`;

const OPTIONS = {
  admin: { type: 'string', short: 'a', default: DEFAULT_ADMIN_URL },
  from: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A reset waits for the pipeline's tasks to stop and commit: longer than a plain request. */
const RESET_TIMEOUT_MS = 60_000;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [action, ...names] = positionals;
  if (values.help || action === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const base = adminUrl(values.admin);
  if (action === 'reset') {
    const name = requiredName('pipeline', undefined, names);
    if (values.from !== undefined && values.from !== 'earliest' && values.from !== 'latest') throw optionInvalid(`--from must be earliest or latest, not "${values.from}"`);
    const query = new URLSearchParams({ name, ...(values.from !== undefined ? { from: values.from } : {}) });
    const answer = await adminRequest(base, `/api/pipelines/reset?${query}`, 'POST', RESET_TIMEOUT_MS);
    if (answer.status !== 200) throw new TributaryError('ADMIN_API_FAILED', `reset of ${name} refused (${answer.status}): ${errorOf(answer.text)}`);
    const report = JSON.parse(answer.text) as PipelineReport;
    console.log(`pipeline ${name} reset; it reads ${report.from} again from ${values.from ?? 'its startFrom setting'}`);
    return 0;
  }
  if (action !== 'list' && action !== 'status') throw optionInvalid(`unknown action "${action}"; tributary pipelines --help lists the actions`);
  const answer = await adminRequest(base, '/api/pipelines');
  if (answer.status === 404) throw new TributaryError('ADMIN_API_FAILED', `the edge at ${base.origin} has no pipelines API (an older version?)`);
  if (answer.status !== 200) throw new TributaryError('ADMIN_API_FAILED', `${new URL('/api/pipelines', base)} answered ${answer.status}: ${errorOf(answer.text)}`);
  const body = JSON.parse(answer.text) as { configured: boolean; pipelines: PipelineReport[] };
  const pipelines = names.length === 0 ? body.pipelines : body.pipelines.filter((pipeline) => names.includes(pipeline.name));
  if (names.length > 0 && pipelines.length === 0) throw optionInvalid(`no pipeline is named ${names.join(', ')}; configured: ${body.pipelines.map((pipeline) => pipeline.name).join(', ') || 'none'}`);
  if (values.json) console.log(JSON.stringify(action === 'list' ? pipelines : { pipelines }, null, 2));
  else console.log(action === 'list' ? listText(pipelines) : statusText(pipelines));
  return 0;
}

function errorOf(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: unknown }).error ?? text);
  } catch {
    return text.slice(0, 200);
  }
}

function listText(pipelines: readonly PipelineReport[]): string {
  if (pipelines.length === 0) return 'no pipelines are configured on this edge';
  const rows = pipelines.map((pipeline) => [pipeline.name, pipeline.from, pipeline.to, pipeline.steps.join(' → ') || '(none)', String(pipeline.partitions.length), pipelineLag(pipeline).toString()]);
  return table(['NAME', 'FROM', 'TO', 'STEPS', 'PARTITIONS', 'LAG'], rows);
}

function statusText(pipelines: readonly PipelineReport[]): string {
  if (pipelines.length === 0) return 'no pipelines are configured on this edge';
  const rows = pipelines.flatMap((pipeline) => pipeline.partitions.map((partition) => [
    pipeline.name, String(partition.partition), partition.state, partition.position, partition.committedPosition, partition.highWatermark, partition.lagRecords,
    partition.sequence, String(partition.openWindows), String(partition.stateEntries), partition.lastError ?? '',
  ]));
  return table(['NAME', 'PARTITION', 'STATE', 'POSITION', 'COMMITTED', 'LOG-END', 'LAG', 'NEXT-OUTPUT', 'WINDOWS', 'ENTRIES', 'LAST-ERROR'], rows);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
