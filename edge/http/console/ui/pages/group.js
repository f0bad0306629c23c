// One consumer group: members and their assignments, lag per partition, and total lag
// over the last hour. For the mirror's group the lag is the mirror's own backlog.
import { el, formatCount, getJson, table } from '/console/web/dom.js';
import { lineChart } from '/console/web/chart.js';

export function show(main, [id]) {
  const holder = el('div');
  main.append(el('p', null, el('a', { href: '#/groups' }, 'Consumer groups'), ' › ', id), el('h2', null, `Group ${id}`), holder);
  return {
    async update() {
      const group = await getJson(`/api/group?id=${encodeURIComponent(id)}`);
      const history = group.lagHistory;
      holder.replaceChildren(
        el('p', { id: 'group-summary' }, `${group.state} · ${group.members.length} member${group.members.length === 1 ? '' : 's'} · total lag `, el('strong', { 'data-total-lag': group.totalLag }, formatCount(group.totalLag))),
        group.mirror ? el('p', { class: 'muted' }, 'This is the mirror\'s group: it holds the offsets the mirror has delivered, committed every second for retention. Its lag is the mirror\'s backlog, the same number as on the ', el('a', { href: '#/mirror' }, 'Mirror'), ' page, in tributary mirror status and in tributary_mirror_lag_records.') : '',
        el('h3', null, 'Members'),
        table(['Member', 'Client id', 'Host', 'Assigned partitions'], group.members.map((member) => [member.memberId, member.clientId, member.clientHost, member.assignments.map((entry) => `${entry.topic}: ${entry.partitions.join(', ')}`).join('; ') || '–']), { empty: 'no members (the group is not consuming now)' }),
        el('h3', null, 'Lag per partition'),
        table(['Topic', 'Partition', 'Committed', 'Log end', 'Lag', 'Member'], group.partitions.map((row) => [row.topic, row.partition, formatCount(row.committedOffset), formatCount(row.logEndOffset), formatCount(row.lag), row.clientId ?? '–']), { numeric: [1, 2, 3, 4], attributes: { id: 'group-partitions' } }),
        el('h3', null, 'Total lag, the last hour'),
        history.length < 2 ? el('p', { class: 'muted' }, 'lag is sampled every 30 s; the chart appears after two samples') : el('figure', null, lineChart([{ name: 'lag', color: '#d9822b', points: history.map((sample) => ({ atMs: sample.atMs, value: sample.lag })) }], { startMs: history[0].atMs, endMs: history.at(-1).atMs, format: (value) => formatCount(Math.round(value)), label: 'group lag' })),
      );
    },
    close() {},
  };
}
