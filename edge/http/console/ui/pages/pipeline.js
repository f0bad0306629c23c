// One pipeline: its topics and formats, its steps as declared, its limits, per input
// partition where it stands (input position, committed position, log end, lag, open
// windows, output partition and its log end, the next output's number), its records in,
// out, filtered, late and in error (by kind), and its recent problems.
import { definitions, el, formatBytes, formatCount, formatDuration, getJson, table } from '/console/web/dom.js';
import { countCell, stateBadge, topicLink } from './pipelines.js';

/** Fields name → expression, as they read in the YAML. */
function fieldsText(fields) {
  return Object.entries(fields).map(([name, expression]) => `${name} = ${expression}`).join('; ');
}

/** Durations come as written (60s, 5m) or in milliseconds. */
function durationText(value) {
  return typeof value === 'number' ? `${value} ms` : value;
}

/** A step as declared: its kind, and its settings in the YAML's words. */
function stepText(step) {
  if ('filter' in step) return ['filter', `keeps records where ${step.filter}`];
  if ('map' in step) return ['map', fieldsText(step.map)];
  if ('window' in step) {
    const window = step.window;
    const parts = [`size ${durationText(window.size)}`];
    parts.push(window.advance === undefined ? 'tumbling' : `advance ${durationText(window.advance)}`);
    parts.push(`grace ${durationText(window.grace ?? 0)}`);
    if (window.time !== undefined) parts.push(`event time ${window.time}`);
    return ['window', `${parts.join(', ')}; ${fieldsText(window.aggregate)}`];
  }
  if ('dedupe' in step) return ['dedupe', `drops a record whose ${step.dedupe.field} was seen within ${durationText(step.dedupe.within)}`];
  if ('throttle' in step) return ['throttle', `at most one record per key every ${durationText(step.throttle.interval)}`];
  return [Object.keys(step)[0] ?? '?', JSON.stringify(step)];
}

export function show(main, [name]) {
  const holder = el('div');
  main.append(el('p', null, el('a', { href: '#/pipelines' }, 'Pipelines'), ' › ', name), el('h2', null, `Pipeline ${name}`), holder);
  return {
    async update() {
      let pipeline;
      try {
        pipeline = await getJson(`/api/pipeline?name=${encodeURIComponent(name)}`);
      } catch (error) {
        holder.replaceChildren(el('p', { class: 'error' }, error.message));
        return;
      }
      const counters = pipeline.counters;
      const limits = pipeline.limits;
      const windowSteps = pipeline.steps.filter((step) => 'window' in step).length;
      const openWindows = pipeline.partitions.reduce((sum, partition) => sum + partition.openWindows, 0);
      const errorKinds = Object.entries(pipeline.errorsByKind).filter(([, count]) => count > 0);
      holder.replaceChildren(
        definitions([
          ['State', stateBadge(pipeline.state, { id: 'pipeline-state' })],
          ['Reads', [topicLink(pipeline.from), ` (${pipeline.decode}), from the ${pipeline.startFrom} record on a new start`]],
          ['Writes', [topicLink(pipeline.to), ` (${pipeline.encode})`]],
          ['Lag', [countCell('lag', pipeline.lagRecords), ' records not yet processed and committed']],
          ['Open windows', windowSteps === 0 ? 'no window step' : [countCell('open-windows', openWindows), ` over ${pipeline.partitions.length} partition${pipeline.partitions.length === 1 ? '' : 's'}`]],
          ['Commits', `every ${formatDuration(pipeline.commitIntervalMs / 1000)} at most, and as soon as there are outputs; ${formatCount(counters.commits)} since start`],
          ['State topic', topicLink(pipeline.stateTopic)],
        ], { id: 'pipeline-facts' }),
        el('h3', null, 'Records since the daemon started'),
        definitions([
          ['In', countCell('records-in', counters.recordsIn)],
          ['Out', countCell('records-out', counters.recordsOut)],
          ['Filtered', [countCell('filtered', counters.filtered), ' (by filter, dedupe and throttle steps)']],
          ['Late', [countCell('late', counters.late), ' (for a window already closed)']],
          ['Errors', [countCell('errors', counters.errors), errorKinds.length === 0 ? '' : ` (${errorKinds.map(([kind, count]) => `${kind} ${formatCount(count)}`).join(', ')})`]],
          ['Dropped at a limit', countCell('limit-drops', counters.limitDrops)],
          ['Lost to retention', el('span', { class: counters.lost > 0 ? 'bad' : null }, countCell('lost', counters.lost))],
          ['Outputs found written after a restart', countCell('replayed-outputs', counters.replayedOutputs)],
        ], { id: 'pipeline-counters' }),
        el('h3', null, 'Steps'),
        table(['#', 'Step', 'As declared'], pipeline.steps.map((step, index) => [index + 1, ...stepText(step)]), { empty: 'no steps: records are copied as they are decoded', numeric: [0], attributes: { id: 'pipeline-steps' } }),
        el('h3', null, 'Limits, per input partition'),
        definitions([
          ['Open windows', `${formatCount(limits.openWindows)} per window step${windowSteps > 1 ? ` (${windowSteps} steps)` : ''}`],
          ['Keys per window', formatCount(limits.keysPerWindow)],
          ['Dedupe entries', formatCount(limits.dedupeEntries)],
          ['Throttle keys', formatCount(limits.throttleKeys)],
          ['Largest value decoded', formatBytes(limits.recordBytes)],
        ], { id: 'pipeline-limits' }),
        el('h3', null, 'Partitions'),
        table(['Partition', 'State', 'Position', 'Committed', 'Log end', 'Lag', 'Open windows', 'State entries', 'Output partition', 'Output log end', 'Next output', 'Last error'], pipeline.partitions.map((partition) => [
          partition.partition, stateBadge(partition.state), formatCount(partition.position), formatCount(partition.committedPosition), formatCount(partition.highWatermark), formatCount(partition.lagRecords),
          windowSteps === 0 ? '–' : `${formatCount(partition.openWindows)} of ${formatCount(limits.openWindows * windowSteps)}`, formatCount(partition.stateEntries),
          partition.outputPartition, formatCount(partition.outputLogEndOffset), formatCount(partition.sequence), { value: partition.lastError ?? '–', class: partition.lastError ? 'bad' : '' },
        ]), { numeric: [0, 2, 3, 4, 5, 6, 7, 8, 9, 10], empty: 'no partition runs yet', attributes: { id: 'pipeline-partitions' }, rowAttributes: (index) => ({ 'data-partition': pipeline.partitions[index].partition }) }),
        el('p', { class: 'muted' }, 'Position: the next input offset read; committed: the position of the last commit, from which a restart resumes; next output: the sequence number the next output gets (its headers carry it).'),
        el('h3', null, 'Recent problems'),
        table(['Time', 'Partition', 'Kind', 'Offset', 'Problem'], pipeline.recentProblems.map((problem) => [new Date(problem.atMs).toISOString(), problem.partition, problem.kind, problem.offset ?? '–', problem.message]), { empty: 'none since the daemon started', numeric: [1, 3], attributes: { id: 'pipeline-problems' } }),
      );
    },
    close() {},
  };
}
