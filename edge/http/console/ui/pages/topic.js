// One topic: its settings, its partitions (offsets, segments, size, the mirror's delivered
// offset), the groups that read it, and the message browser: from the newest records, an
// offset or a time, or following live; payloads decoded, headers shown with the MQTT ones
// marked, and a filter by key.
import { definitions, el, formatBytes, formatCount, formatDuration, formatRate, getJson, table } from '/console/web/dom.js';

/** Records the live view keeps on screen; older ones scroll away. */
const LIVE_ROWS_MAX = 200;

function retention(config) {
  const time = config.retentionMs === -1 ? 'forever' : formatDuration(config.retentionMs / 1000);
  const size = config.retentionBytes === -1 ? 'no size limit' : `${formatBytes(config.retentionBytes)} per partition`;
  return `${time}, ${size}`;
}

function payloadCell(record) {
  const payload = record.payload;
  const body = payload.hex !== undefined ? payload.hex : typeof payload.value === 'string' ? payload.value : JSON.stringify(payload.value, null, 1);
  return el('td', { class: 'value' }, payload.note ? el('div', { class: 'muted' }, payload.note) : null, el('pre', null, body));
}

function headersCell(record) {
  return el('td', { class: 'headers' }, record.headers.map((header) => el('div', { class: header.mqtt ? 'header-mqtt' : null, 'data-header': header.name }, `${header.name}: ${header.value}`)));
}

function recordRow(record) {
  return el('tr', { 'data-offset': record.offset, 'data-partition': record.partition },
    el('td', { class: 'number' }, record.partition),
    el('td', { class: 'number' }, record.offset),
    el('td', null, record.time ?? record.timestamp),
    el('td', { class: 'key-cell' }, record.key ?? (record.keyHex ? `hex ${record.keyHex}` : '–')),
    headersCell(record),
    el('td', { class: 'format' }, record.payload.format),
    payloadCell(record));
}

export function show(main, [name]) {
  const facts = el('div');
  const partitions = el('div');
  const consumers = el('div');
  const partitionSelect = el('select', { id: 'browse-partition' }, el('option', { value: 'all' }, 'all'));
  const fromSelect = el('select', { id: 'browse-from' }, el('option', { value: 'newest' }, 'newest'), el('option', { value: 'offset' }, 'offset'), el('option', { value: 'timestamp' }, 'time'), el('option', { value: 'live' }, 'live (follow)'));
  const position = el('input', { id: 'browse-position', placeholder: 'offset, or 2026-01-31T12:00:00Z', size: 24 });
  const keyInput = el('input', { id: 'browse-key', placeholder: 'key contains…', size: 18 });
  const limitSelect = el('select', { id: 'browse-limit' }, [20, 50, 100].map((count) => el('option', { value: count }, count)));
  const decodeSelect = el('select', { id: 'browse-decode' }, ['auto', 'json', 'cbor', 'senml', 'text', 'hex'].map((mode) => el('option', { value: mode }, mode)));
  const run = el('button', { id: 'browse-run', type: 'button' }, 'Show');
  const info = el('p', { id: 'browse-info', class: 'muted' });
  const tbody = el('tbody');
  const results = el('table', { id: 'records' }, el('thead', null, el('tr', null, ['Partition', 'Offset', 'Time', 'Key', 'Headers', 'Format', 'Value'].map((heading) => el('th', null, heading)))), tbody);
  let live = null;
  let partitionsKnown = 0;

  const stopLive = () => { live?.close(); live = null; };
  const browse = async () => {
    stopLive();
    const query = new URLSearchParams({ topic: name, partition: partitionSelect.value, limit: limitSelect.value, decode: decodeSelect.value });
    if (keyInput.value !== '') query.set('key', keyInput.value);
    if (fromSelect.value === 'live') {
      tbody.replaceChildren();
      info.textContent = 'following: new records appear at the top as they arrive';
      live = new EventSource(`/api/tail?${query}`);
      live.addEventListener('records', (message) => {
        const { records, skipped } = JSON.parse(message.data);
        for (const record of records) tbody.prepend(recordRow(record));
        while (tbody.children.length > LIVE_ROWS_MAX) tbody.lastElementChild.remove();
        if (skipped !== '0') info.textContent = `following: ${skipped} records went by faster than shown`;
      });
      live.addEventListener('failure', (message) => { info.textContent = JSON.parse(message.data).error; });
      return;
    }
    query.set('from', fromSelect.value);
    if (fromSelect.value === 'offset') query.set('offset', position.value.trim());
    if (fromSelect.value === 'timestamp') query.set('timestamp', position.value.trim());
    info.textContent = 'reading…';
    try {
      const body = await getJson(`/api/records?${query}`);
      const rows = body.records.slice();
      if (body.from === 'newest') rows.reverse();
      tbody.replaceChildren(...(rows.length === 0 ? [el('tr', null, el('td', { colspan: 7, class: 'empty' }, 'no records match'))] : rows.map(recordRow)));
      info.textContent = `${rows.length} record${rows.length === 1 ? '' : 's'} shown, ${formatCount(body.scanned)} read${body.complete ? '' : ` — the search stopped at its bound; next offsets ${Object.entries(body.nextOffsets).map(([partition, offset]) => `${partition}: ${offset}`).join(', ')}`}`;
    } catch (error) {
      tbody.replaceChildren(el('tr', null, el('td', { colspan: 7, class: 'error' }, error.message)));
      info.textContent = '';
    }
  };
  run.addEventListener('click', () => void browse());
  keyInput.addEventListener('keydown', (event) => { if (event.key === 'Enter') void browse(); });

  main.append(
    el('p', null, el('a', { href: '#/topics' }, 'Topics'), ' › ', name),
    el('h2', null, `Topic ${name}`), facts,
    el('h3', null, 'Partitions'), partitions,
    el('h3', null, 'Consumer groups'), consumers,
    el('h3', null, 'Messages'),
    el('div', { class: 'toolbar' },
      el('label', null, 'Partition', partitionSelect), el('label', null, 'From', fromSelect), el('label', null, 'Offset or time', position),
      el('label', null, 'Key', keyInput), el('label', null, 'Records', limitSelect), el('label', null, 'Decode', decodeSelect), run),
    info, results,
  );
  let browsed = false;
  return {
    async update() {
      const topic = await getJson(`/api/topic?name=${encodeURIComponent(name)}`);
      facts.replaceChildren(definitions([
        ['Records/s', formatRate(topic.recordsPerSecond)],
        ['Retention', retention(topic.config)],
        ['Cleanup policy', topic.cleanupPolicy],
        ['Segment size', formatBytes(topic.config.segmentBytes)],
        ['Flush policy', topic.config.flush?.policy ?? '–'],
        ['Largest batch', formatBytes(topic.config.maxMessageBytes)],
      ], { id: 'topic-facts' }));
      partitions.replaceChildren(table(
        ['Partition', 'Log start', 'Log end', 'Records', 'Segments', 'Size', 'Mirror delivered', 'Mirror backlog'],
        topic.partitions.map((partition) => [partition.partition, formatCount(partition.logStartOffset), formatCount(partition.logEndOffset), formatCount(partition.records), partition.segments, formatBytes(partition.sizeBytes), partition.mirror ? formatCount(partition.mirror.deliveredOffset) : '–', partition.mirror ? formatCount(partition.mirror.backlogRecords) : '–']),
        { numeric: [0, 1, 2, 3, 4, 5, 6, 7], attributes: { id: 'partitions' } },
      ));
      consumers.replaceChildren(table(['Group', 'State', 'Lag'], topic.consumers.map((group) => [el('a', { href: `#/groups/${encodeURIComponent(group.groupId)}` }, group.groupId, group.mirror ? ' (mirror)' : ''), group.state, formatCount(group.lag)]), { empty: 'no group reads this topic', numeric: [2] }));
      if (partitionsKnown !== topic.partitions.length) {
        partitionsKnown = topic.partitions.length;
        partitionSelect.replaceChildren(el('option', { value: 'all' }, 'all'), ...topic.partitions.map((partition) => el('option', { value: partition.partition }, partition.partition)));
      }
      if (!browsed) {
        browsed = true;
        await browse();
      }
    },
    close() { stopLive(); },
  };
}
