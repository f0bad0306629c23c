// Pipelines: each with its input and output topics, state, records in, out, filtered, late
// and in error, and lag. The state and lag are the pipeline's own report (`tributary
// pipelines status`); the records are the daemon's metrics. Redrawn at every live update.
import { el, formatCount, getJson, table } from '/console/web/dom.js';

const STATE_BADGES = { running: 'good', starting: 'warn', stopped: 'warn', retrying: 'bad' };

/** A state as a badge, as the list and a pipeline's page show it. */
export function stateBadge(state, attributes = {}) {
  return el('span', { class: `badge ${STATE_BADGES[state] ?? ''}`, 'data-state': state, ...attributes }, state);
}

/** A count with its exact value beside the grouped text, so that a reader (or a test) need not parse it. */
export function countCell(name, value) {
  return el('span', { [`data-${name}`]: value }, formatCount(value));
}

/** A topic linked to its page. */
export function topicLink(name) {
  return el('a', { href: `#/topics/${encodeURIComponent(name)}` }, name);
}

export function show(main) {
  const holder = el('div');
  main.append(el('h2', null, 'Pipelines'), holder);
  return {
    async update() {
      const body = await getJson('/api/pipeline-list');
      holder.replaceChildren(
        table(['Pipeline', 'From → to', 'State', 'In', 'Out', 'Filtered', 'Late', 'Errors', 'Lag'], body.pipelines.map((pipeline) => [
          el('a', { href: `#/pipelines/${encodeURIComponent(pipeline.name)}` }, pipeline.name),
          [topicLink(pipeline.from), ' → ', topicLink(pipeline.to)],
          stateBadge(pipeline.state),
          countCell('records-in', pipeline.counters.recordsIn),
          countCell('records-out', pipeline.counters.recordsOut),
          countCell('filtered', pipeline.counters.filtered),
          countCell('late', pipeline.counters.late),
          { value: countCell('errors', pipeline.counters.errors), class: pipeline.counters.errors > 0 ? 'bad' : '' },
          countCell('lag', pipeline.lagRecords),
        ]), { empty: body.configured ? 'no pipelines' : 'no pipelines are configured on this node (pipelines: in the YAML file)', numeric: [3, 4, 5, 6, 7, 8], attributes: { id: 'pipelines' }, rowAttributes: (index) => ({ 'data-pipeline': body.pipelines[index].name }) }),
        el('p', { class: 'muted' }, 'Records in, out, filtered, late and in error since the daemon started (tributary_pipeline_* on /metrics); lag in records not yet processed and committed, as tributary pipelines status reports it. A pipeline is reset with tributary pipelines reset NAME.'),
      );
    },
    close() {},
  };
}
