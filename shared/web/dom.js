// Small DOM and formatting helpers shared by the edge console and the fleet view: plain
// browser modules, no framework, no build step. Everything shown from a broker goes in as
// text, never as HTML: topic names, client ids, error messages and payloads are data.

/**
 * An element with attributes and children; children that are not nodes become text.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attributes]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** @param {number | string | null | undefined} bytes */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** @param {number | string | bigint | null | undefined} count */
export function formatCount(count) {
  if (count === null || count === undefined) return '–';
  const text = String(count);
  // Offsets and totals come as decimal strings when they may exceed 2^53; group digits without losing any.
  return /^-?\d+$/.test(text) ? text.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : text;
}

/** @param {number | null | undefined} value per second */
export function formatRate(value) {
  if (value === null || value === undefined) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1);
}

/** @param {number | null | undefined} seconds */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** "12 s ago", from a time in milliseconds. @param {number} atMs @param {number} [nowMs] */
export function ago(atMs, nowMs = Date.now()) {
  return `${formatDuration(Math.max(0, (nowMs - atMs) / 1000))} ago`;
}

/**
 * GET a JSON document; a non-2xx answer becomes an Error with the server's sentence.
 * @param {string} path
 * @param {AbortSignal} [signal]
 */
export async function getJson(path, signal) {
  const response = await fetch(path, { cache: 'no-store', signal });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

/**
 * A definition list from [term, description] pairs.
 * @param {[string, unknown][]} entries
 * @param {Record<string, unknown>} [attributes]
 */
export function definitions(entries, attributes) {
  return el('dl', { class: 'facts', ...attributes }, entries.flatMap(([term, description]) => [el('dt', null, term), el('dd', null, description)]));
}

/**
 * A table with a header row; each row is an array of cells (a cell may be a node, or
 * {value, class} for a classed cell).
 * @param {string[]} headings
 * @param {unknown[][]} rows
 * @param {{ empty?: string, numeric?: number[], attributes?: Record<string, unknown>, rowAttributes?: (index: number) => Record<string, unknown> }} [options]
 */
export function table(headings, rows, options = {}) {
  const numeric = new Set(options.numeric ?? []);
  const cell = (tag, value, column) => {
    const classed = value !== null && typeof value === 'object' && !(value instanceof Node) && 'value' in value;
    return el(tag, { class: [numeric.has(column) ? 'number' : '', classed ? value.class : ''].filter(Boolean).join(' ') || null }, classed ? value.value : value);
  };
  const body = rows.length === 0
    ? [el('tr', null, el('td', { colspan: headings.length, class: 'empty' }, options.empty ?? 'nothing to show'))]
    : rows.map((row, index) => el('tr', options.rowAttributes?.(index) ?? null, row.map((value, column) => cell('td', value, column))));
  return el('table', options.attributes ?? null, el('thead', null, el('tr', null, headings.map((heading, column) => cell('th', heading, column)))), el('tbody', null, body));
}
