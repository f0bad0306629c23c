// The differences between two answers to one scenario, one line each, naming the place
// (`topics[0].errorCode`) and both values, so that a known difference can be written down
// once, with its reason, and recognised on every run.
export function differencesBetween(kafka: unknown, edge: unknown, path = ''): string[] {
  if (Array.isArray(kafka) && Array.isArray(edge)) {
    if (kafka.length !== edge.length) return [`${path || '(answer)'}: edge ${JSON.stringify(edge)}, Kafka ${JSON.stringify(kafka)}`];
    return kafka.flatMap((item, index) => differencesBetween(item, edge[index], `${path}[${index}]`));
  }
  if (isRecord(kafka) && isRecord(edge)) {
    const keys = [...new Set([...Object.keys(kafka), ...Object.keys(edge)])];
    return keys.flatMap((key) => differencesBetween(kafka[key], edge[key], path === '' ? key : `${path}.${key}`));
  }
  return JSON.stringify(kafka) === JSON.stringify(edge) ? [] : [`${path || '(answer)'}: edge ${JSON.stringify(edge)}, Kafka ${JSON.stringify(kafka)}`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
