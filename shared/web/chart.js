// Time-series charts as inline SVG, shared by the edge console and the fleet view: a line
// chart with axes for the pages, and a sparkline for table cells. Hand-written because a
// few polylines are all either needs, and SVG scales with the page without a canvas.
import { formatRate } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MUTED = '#6b7785';

/**
 * @param {SVGElement} parent
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function add(parent, tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  parent.append(node);
  return node;
}

/**
 * A line chart of several series over time.
 * @param {{ name: string, color: string, points: { atMs: number, value: number | null }[] }[]} series
 * @param {{ startMs: number, endMs: number, format?: (value: number) => string, label?: string }} range
 * @returns {SVGSVGElement}
 */
export function lineChart(series, range) {
  const width = 800;
  const height = 170;
  const pad = { left: 64, right: 8, top: 10, bottom: 20 };
  const format = range.format ?? formatRate;
  const values = series.flatMap((line) => line.points.map((point) => point.value).filter((value) => value !== null));
  const maximum = Math.max(1, ...values);
  const span = Math.max(1, range.endMs - range.startMs);
  const x = (atMs) => pad.left + ((atMs - range.startMs) / span) * (width - pad.left - pad.right);
  const y = (value) => height - pad.bottom - (value / maximum) * (height - pad.top - pad.bottom);
  const svg = /** @type {SVGSVGElement} */ (document.createElementNS(SVG_NS, 'svg'));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  if (range.label) svg.setAttribute('aria-label', range.label);
  add(svg, 'line', { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), stroke: '#c5ccd3' });
  add(svg, 'line', { x1: pad.left, y1: y(maximum), x2: width - pad.right, y2: y(maximum), stroke: '#eef1f4' });
  add(svg, 'text', { x: pad.left - 4, y: y(maximum) + 4, 'text-anchor': 'end', 'font-size': 11, fill: MUTED }, format(maximum));
  add(svg, 'text', { x: pad.left - 4, y: y(0), 'text-anchor': 'end', 'font-size': 11, fill: MUTED }, '0');
  const spanMinutes = Math.round(span / 60_000);
  add(svg, 'text', { x: pad.left, y: height - 4, 'font-size': 11, fill: MUTED }, spanMinutes < 2 ? `${Math.round(span / 1000)} s ago` : `${spanMinutes} min ago`);
  add(svg, 'text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end', 'font-size': 11, fill: MUTED }, 'now');
  for (const line of series) {
    // A gap (null) breaks the line: the metric was not there then.
    let run = [];
    const flush = () => {
      if (run.length > 0) add(svg, 'polyline', { class: `series ${line.name}`, fill: 'none', stroke: line.color, 'stroke-width': 2, points: run.join(' ') });
      run = [];
    };
    for (const point of line.points) {
      if (point.value === null) flush();
      else run.push(`${x(point.atMs).toFixed(1)},${y(point.value).toFixed(1)}`);
    }
    flush();
  }
  return svg;
}

/**
 * A sparkline: one series, no axes, for a table cell.
 * @param {(number | null)[]} values oldest first
 * @param {{ color?: string, label?: string }} [options]
 * @returns {SVGSVGElement}
 */
export function sparkline(values, options = {}) {
  const width = 120;
  const height = 24;
  const present = values.filter((value) => value !== null);
  const maximum = Math.max(1, ...present);
  const svg = /** @type {SVGSVGElement} */ (document.createElementNS(SVG_NS, 'svg'));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  if (options.label) svg.setAttribute('aria-label', options.label);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((value, index) => (value === null ? null : `${(index * step).toFixed(1)},${(height - 2 - (value / maximum) * (height - 4)).toFixed(1)}`)).filter(Boolean);
  if (points.length > 0) add(svg, 'polyline', { fill: 'none', stroke: options.color ?? '#2f6fb3', 'stroke-width': 1.5, points: points.join(' ') });
  return svg;
}
