// The mirror: link state, backlog in records, bytes and seconds (its own report, the one
// `tributary mirror status` prints and tributary_mirror_lag_* export), the backlog of each
// topic (its partitions' summed: after an outage a topic of a higher priority drains
// first), each partition's delivered offset, and the backlog over the last hour.
import { definitions, el, formatBytes, formatCount, formatDuration, getJson, table } from '/console/web/dom.js';
import { lineChart } from '/console/web/chart.js';

/** The report's partitions summed by topic, in the report's order. */
function byTopic(partitions) {
  const topics = new Map();
  for (const row of partitions) {
    const topic = topics.get(row.topic) ?? { topic: row.topic, target: row.target, partitions: 0, backlogRecords: 0 };
    topic.partitions += 1;
    topic.backlogRecords += Number(row.backlogRecords);
    topics.set(row.topic, topic);
  }
  return [...topics.values()];
}

export function show(main) {
  const holder = el('div');
  main.append(el('h2', null, 'Mirror'), holder);
  return {
    async update(overview) {
      const m = overview.mirror;
      if (!m.configured) {
        holder.replaceChildren(el('p', { id: 'mirror-state' }, `The mirror is not running here: ${m.reason}.`));
        return;
      }
      const history = await getJson('/api/history');
      const topics = byTopic(m.partitions);
      const rows = (list) => list.map((row) => [row.topic, row.partition, row.target, formatCount(row.deliveredOffset), formatCount(row.logEndOffset), formatCount(row.backlogRecords)]);
      holder.replaceChildren(
        definitions([
          ['Link', el('span', { id: 'mirror-state', class: `badge ${m.state === 'up' ? 'good' : m.state === 'closed-window' ? 'warn' : 'bad'}` }, m.state)],
          ['Central cluster', m.target],
          ['Backlog', el('span', { id: 'mirror-backlog', 'data-records': m.backlogRecords, 'data-bytes': m.backlogBytes, 'data-seconds': m.backlogSeconds }, `${formatCount(m.backlogRecords)} records, ${formatBytes(m.backlogBytes)}, ${formatDuration(m.backlogSeconds)} behind`)],
          ['Delivered', `${formatCount(m.deliveredRecordsTotal)} records since start`],
          ['Lost', el('span', { class: m.lostRecordsTotal > 0 ? 'bad' : null }, `${formatCount(m.lostRecordsTotal)} records evicted before delivery`)],
          ['Errors', formatCount(m.errorsTotal)],
          ['Last error', m.lastError ?? 'none'],
        ]),
        history.atMs.length > 1 ? el('figure', { id: 'mirror-backlog-chart' }, el('figcaption', null, 'Backlog, records (the last hour)'), lineChart([{ name: 'backlog', color: '#d9822b', points: history.atMs.map((atMs, index) => ({ atMs, value: history.gauges.backlogRecords[index] })) }], { startMs: history.atMs[0], endMs: history.atMs.at(-1), format: (value) => formatCount(Math.round(value)), label: 'mirror backlog' })) : '',
        el('h3', null, 'Backlog by topic'),
        table(['Topic', 'Target', 'Partitions', 'Backlog'], topics.map((topic) => [topic.topic, topic.target, topic.partitions, el('span', { 'data-backlog': topic.backlogRecords }, formatCount(topic.backlogRecords))]), { numeric: [2, 3], empty: 'no topic mirrored yet', attributes: { id: 'mirror-topics' }, rowAttributes: (index) => ({ 'data-topic': topics[index].topic }) }),
        el('h3', null, 'To the central cluster'),
        table(['Topic', 'Partition', 'Target', 'Delivered', 'Log end', 'Backlog'], rows(m.partitions), { numeric: [1, 3, 4, 5], empty: 'no partition mirrored yet', attributes: { id: 'mirror-partitions' } }),
        m.reverse.length > 0 ? [el('h3', null, 'From the central cluster'), table(['Central topic', 'Partition', 'Local topic', 'Delivered', 'Log end', 'Backlog'], rows(m.reverse), { numeric: [1, 3, 4, 5] })] : '',
      );
    },
    close() {},
  };
}
