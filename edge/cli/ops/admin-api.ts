// Requests of the operator commands to an edge's HTTP admin API (`tributary mirror
// status`, `tributary pipelines`), with errors a user can act on.
import { TributaryError } from '../../../shared/errors.ts';
import { optionInvalid } from './bootstrap.ts';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8080';

/** The admin API answers from memory; longer than this means the edge is stuck or unreachable. */
const REQUEST_TIMEOUT_MS = 10_000;

/** --admin as a URL; CLI_OPTION_INVALID otherwise. */
export function adminUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw optionInvalid(`--admin must be a URL such as ${DEFAULT_ADMIN_URL}, not "${text}"`);
  }
}

export async function adminRequest(base: URL, path: string, method: 'GET' | 'POST' = 'GET', timeoutMs = REQUEST_TIMEOUT_MS): Promise<{ status: number; text: string }> {
  const url = new URL(path, base);
  try {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code === 'ECONNREFUSED' ? 'connection refused'
      : (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms`
      : cause?.code ?? cause?.message ?? (error as Error).message;
    throw new TributaryError('ADMIN_API_FAILED', `cannot reach the edge's admin API at ${base.origin}: ${reason}`, { url: url.toString() }, { cause: error });
  }
}
