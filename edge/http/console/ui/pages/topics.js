// Topics: each with its partitions, records, size, segments and current rates.
import { el, formatBytes, formatCount, formatRate, getJson, table } from '/console/web/dom.js';

export function show(main) {
  const holder = el('div');
  main.append(el('h2', null, 'Topics'), holder);
  return {
    async update() {
      const { topics } = await getJson('/api/topics');
      holder.replaceChildren(table(
        ['Topic', 'Partitions', 'Records', 'Size', 'Segments', 'Records/s', 'Bytes/s'],
        topics.map((topic) => [el('a', { href: `#/topics/${encodeURIComponent(topic.name)}` }, topic.name), topic.partitions, formatCount(topic.records), formatBytes(topic.sizeBytes), topic.segments, formatRate(topic.recordsPerSecond), formatBytes(topic.bytesPerSecond)]),
        { empty: 'no topics yet', numeric: [1, 2, 3, 4, 5, 6], attributes: { id: 'topics' }, rowAttributes: (index) => ({ 'data-topic': topics[index].name }) },
      ));
    },
    close() {},
  };
}
