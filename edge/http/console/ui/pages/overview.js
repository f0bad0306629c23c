// The overview: health, records per second in and out by protocol, disk against budget
// and retention, the mirror's backlog and link with the last hour charted, flash write
// amplification, and connected devices with their trend.
import { el, formatBytes, formatCount, formatDuration, formatRate, getJson } from '/console/web/dom.js';
import { lineChart } from '/console/web/chart.js';

const COLORS = { mqtt: '#2f6fb3', kafka: '#7a4fb3', mirror: '#d9822b', backlog: '#d9822b', connected: '#1a7f37' };

function card(title, big, detail, attributes = {}) {
  return el('div', { class: 'card', ...attributes }, el('h3', null, title), el('div', { class: 'big' }, big), el('div', { class: 'detail' }, detail));
}

function series(history, group, name, color) {
  return { name, color, points: history.atMs.map((atMs, index) => ({ atMs, value: history[group][name][index] })) };
}

export function show(main) {
  const cards = el('div', { class: 'cards', id: 'overview-cards' });
  const charts = el('div', { id: 'overview-charts' });
  main.append(el('h2', null, 'Overview'), cards, charts);
  let lastHistoryAt = 0;
  return {
    async update(overview) {
      const t = overview.throughput;
      const m = overview.mirror;
      const disk = overview.disk;
      const wa = overview.writeAmplification;
      const mqtt = overview.mqtt;
      const budget = disk.budgetBytes > 0 ? `${Math.round((disk.usedBytes / disk.budgetBytes) * 100)} % of a ${formatBytes(disk.budgetBytes)} budget` : 'no disk budget (storage.diskBudgetBytes)';
      const retention = `retention ${disk.retentionMs === -1 ? 'forever' : formatDuration(disk.retentionMs / 1000)}${disk.retentionBytes > 0 ? `, ${formatBytes(disk.retentionBytes)} per partition` : ''} (defaults)`;
      const trend = mqtt.trend.change === null ? 'trend: not enough history yet' : `${mqtt.trend.change >= 0 ? '+' : ''}${mqtt.trend.change} in the last ${formatDuration(mqtt.trend.windowSeconds)}`;
      cards.replaceChildren(
        card('Health', overview.node.status, `node ${overview.node.node}, up ${formatDuration(overview.node.uptimeSeconds)}`, { 'data-card': 'health' }),
        card('Records in /s', formatRate((t.in.mqtt ?? 0) + (t.in.kafka ?? 0) + (t.in.mirror ?? 0)), `MQTT ${formatRate(t.in.mqtt)} · Kafka ${formatRate(t.in.kafka)} · from the central ${formatRate(t.in.mirror)}`, { 'data-card': 'in' }),
        card('Records out /s', formatRate((t.out.mqtt ?? 0) + (t.out.kafka ?? 0) + (t.out.mirror ?? 0)), `MQTT ${formatRate(t.out.mqtt)} · Kafka ${formatRate(t.out.kafka)} · mirrored ${formatRate(t.out.mirror)}`, { 'data-card': 'out' }),
        card('Disk', formatBytes(disk.usedBytes), [budget, el('br'), retention, el('br'), disk.fileSystemFreeBytes === null ? '' : `${formatBytes(disk.fileSystemFreeBytes)} free on the file system`], { 'data-card': 'disk' }),
        m.configured
          ? card('Mirror backlog', `${formatCount(m.backlogRecords)} records`, [`${formatBytes(m.backlogBytes)}, ${formatDuration(m.backlogSeconds)} behind`, el('br'), 'link ', el('span', { class: `badge ${m.state === 'up' ? 'good' : m.state === 'closed-window' ? 'warn' : 'bad'}`, 'data-link-state': m.state }, m.state), m.lostRecordsTotal > 0 ? el('span', { class: 'bad' }, ` · ${formatCount(m.lostRecordsTotal)} records lost`) : ''], { 'data-card': 'mirror' })
          : card('Mirror', 'not running', m.reason, { 'data-card': 'mirror' }),
        card('Flash write amplification', wa.ratio === null ? '–' : wa.ratio.toFixed(2), wa.ratio === null ? 'no records appended in the window' : `${formatBytes(wa.deviceBytesPerSecond)}/s written to the device for ${formatBytes(wa.appendBytesPerSecond)}/s of records, last ${formatDuration(wa.windowSeconds)}`, { 'data-card': 'write-amplification' }),
        card('Connected devices', formatCount(mqtt.connected), [trend, el('br'), `${formatCount(mqtt.persistentSessions)} persistent sessions`], { 'data-card': 'connected' }),
      );
      // The hour's charts need the whole history once, then the newest sample at each update.
      if (Date.now() - lastHistoryAt < 4000) return;
      lastHistoryAt = Date.now();
      const history = await getJson('/api/history');
      if (history.atMs.length === 0) return;
      const range = { startMs: history.atMs[0], endMs: history.atMs.at(-1) };
      charts.replaceChildren(
        el('figure', { id: 'throughput-in' }, el('figcaption', null, 'Records in per second: ', el('span', { class: 'key', style: `--key-color:${COLORS.mqtt}` }, 'MQTT'), el('span', { class: 'key', style: `--key-color:${COLORS.kafka}` }, 'Kafka'), el('span', { class: 'key', style: `--key-color:${COLORS.mirror}` }, 'from the central')),
          lineChart([series(history, 'rates', 'mqttIn', COLORS.mqtt), series(history, 'rates', 'kafkaIn', COLORS.kafka), series(history, 'rates', 'mirrorIn', COLORS.mirror)], { ...range, label: 'records in per second' })),
        el('figure', { id: 'throughput-out' }, el('figcaption', null, 'Records out per second: ', el('span', { class: 'key', style: `--key-color:${COLORS.mqtt}` }, 'MQTT'), el('span', { class: 'key', style: `--key-color:${COLORS.kafka}` }, 'Kafka'), el('span', { class: 'key', style: `--key-color:${COLORS.mirror}` }, 'mirrored')),
          lineChart([series(history, 'rates', 'mqttOut', COLORS.mqtt), series(history, 'rates', 'kafkaOut', COLORS.kafka), series(history, 'rates', 'mirrorOut', COLORS.mirror)], { ...range, label: 'records out per second' })),
        el('figure', { id: 'backlog-chart' }, el('figcaption', null, 'Mirror backlog, records (the last hour)'),
          lineChart([series(history, 'gauges', 'backlogRecords', COLORS.backlog)], { ...range, format: (value) => formatCount(Math.round(value)), label: 'mirror backlog' })),
        el('figure', { id: 'connected-chart' }, el('figcaption', null, 'Connected MQTT clients'),
          lineChart([series(history, 'gauges', 'mqttConnected', COLORS.connected)], { ...range, format: (value) => formatCount(Math.round(value)), label: 'connected clients' })),
      );
    },
    close() {},
  };
}

