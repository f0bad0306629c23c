// Structured logs (pino: JSON lines, cheap enough for the hot path of a small device).
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Name of the component, shown in every line. */
  name?: string;
  /** Where the lines go; standard output by default. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'info';
  return pino({ level, name: options.name ?? 'tributary', base: { pid: process.pid } }, options.destination ?? pino.destination({ fd: 1, sync: false }));
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
