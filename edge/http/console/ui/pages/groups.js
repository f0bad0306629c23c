// Consumer groups: state, members, partitions and total lag; the mirror's group marked.
import { el, formatCount, getJson, table } from '/console/web/dom.js';

export function show(main) {
  const holder = el('div');
  main.append(el('h2', null, 'Consumer groups'), holder);
  return {
    async update() {
      const body = await getJson('/api/groups');
      holder.replaceChildren(
        table(['Group', 'State', 'Members', 'Partitions', 'Lag'], body.groups.map((group) => [
          [el('a', { href: `#/groups/${encodeURIComponent(group.groupId)}` }, group.groupId), group.mirror ? el('span', { class: 'badge' }, ' mirror') : ''],
          group.state, group.members, group.partitions, formatCount(group.totalLag),
        ]), { empty: body.configured ? 'no consumer groups' : 'this node has no group coordinator', numeric: [2, 3, 4], attributes: { id: 'groups' }, rowAttributes: (index) => ({ 'data-group': body.groups[index].groupId }) }),
        body.total > body.groups.length ? el('p', { class: 'muted' }, `${body.groups.length} of ${body.total} groups shown`) : '',
      );
    },
    close() {},
  };
}
