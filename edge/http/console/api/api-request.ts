// What every console API handler shares: the parsed query, a refusal that becomes a 400 or
// 404 answer naming what was wrong, and the context (providers, history) it reads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricHistory } from '../metric-history.ts';
import type { ConsoleProviders } from '../providers.ts';

export interface ConsoleContext {
  providers: ConsoleProviders;
  history: MetricHistory;
  registry: Registry;
  /** Server-sent event streams open now, across the console (live-api.ts bounds them). */
  liveStreams: Set<ServerResponse>;
}

export type ApiHandler = (context: ConsoleContext, query: URLSearchParams, request: IncomingMessage, response: ServerResponse) => unknown;

/** A request the API refuses, with the status and the sentence to answer. */
export class ApiRefusal extends Error {
  readonly status: number;

  constructor(status: 400 | 404 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

/** A query parameter that must be there. */
export function required(query: URLSearchParams, name: string, example: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new ApiRefusal(400, `query parameter ${name} is required: ${example}`);
  return value;
}

/** A whole number from `min` to `max`, or `fallback` when the parameter is absent. */
export function wholeNumber(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,15}$/.test(text) || Number(text) < min || Number(text) > max) throw new ApiRefusal(400, `${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return Number(text);
}

/** One of `choices`, or the first when absent. */
export function oneOf<const T extends string>(query: URLSearchParams, name: string, choices: readonly T[]): T {
  const text = query.get(name);
  if (text === null || text === '') return choices[0]!;
  if (!(choices as readonly string[]).includes(text)) throw new ApiRefusal(400, `${name} must be one of ${choices.join(', ')}, not "${text}"`);
  return text as T;
}

/** Text no longer than `max` characters ('' when absent): search boxes and filters. */
export function shortText(query: URLSearchParams, name: string, max: number): string {
  const text = query.get(name) ?? '';
  if (text.length > max) throw new ApiRefusal(400, `${name} may be at most ${max} characters`);
  return text;
}
