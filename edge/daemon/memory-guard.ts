// Load shedding near the heap limit. A device runs the daemon with a capped heap
// (--max-old-space-size); past the cap V8 aborts the process, and every publish and
// produce it had taken in but not yet made durable is lost with it, while the clients
// reconnect into the same pressure. The guard reads the heap on a timer and, above
// node.memoryGuard.shedAbovePercent of the limit, has the protocols refuse new work with
// the error each one's clients retry: the work already accepted finishes, and the heap can
// fall. Below resumeBelowPercent it lets work in again (two marks, so one collection does
// not switch refusals on and off every sample).
//
// The heap V8 reports holds garbage until a collection runs, and an idle daemon may not
// run a full one for minutes: the clients that held the heap up leave, and the reading
// stays above the lower mark. So while shedding, and only then, the guard asks V8 for a
// full collection before each reading (a few tens of milliseconds once per sampling
// interval, a price paid only under pressure) and reads what is live.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MemoryGuardConfig } from '../../shared/config/schema.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';

/** What is refused, by protocol and request: the labels of the refusal counter. */
export type ShedRequest = { protocol: 'mqtt'; request: 'connect' | 'publish' } | { protocol: 'kafka'; request: 'produce' };

/** What the protocol handlers see of the guard. */
export interface LoadShedding {
  /** True while new work is refused. */
  readonly shedding: boolean;
  /** How long a refused client should wait before trying again: the sampling interval. */
  readonly retryAfterMs: number;
  /** Counts one refusal and logs it (one line per interval); returns the message a client is told. */
  refused(request: ShedRequest): string;
}

/** The heap as V8 reports it; a test passes its own reading. */
export type HeapReading = () => { usedBytes: number; limitBytes: number };

const readV8Heap: HeapReading = () => {
  const statistics = getHeapStatistics();
  return { usedBytes: statistics.used_heap_size, limitBytes: statistics.heap_size_limit };
};

/** A full collection, the function --expose-gc gives; a test passes its own. */
export type FullCollection = () => void;

/**
 * V8's gc(), taken without --expose-gc on the command line: the flag is set for the
 * moment a new context is made, which then holds gc (as Jest does for --logHeapUsage).
 * Undefined where that does not work; the guard then waits for V8's own collections.
 */
export function v8FullCollection(): FullCollection | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as FullCollection;
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as unknown;
    return typeof collect === 'function' ? (collect as FullCollection) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export interface HeapAccess {
  readHeap: HeapReading;
  /** Undefined: no forced collection. */
  collect: FullCollection | undefined;
}

export class MemoryGuard implements LoadShedding {
  readonly retryAfterMs: number;
  #shedding = false;
  #fraction = 0;
  readonly #shedAbove: number;
  readonly #resumeBelow: number;
  readonly #readHeap: HeapReading;
  readonly #collect: FullCollection | undefined;
  readonly #logger: Logger;
  readonly #warnings: RepeatedWarnings;
  readonly #refusals: Counter<'protocol' | 'request'>;
  #timer: NodeJS.Timeout | undefined;

  /** `heap` is V8's own unless a test passes its readings. */
  constructor(config: MemoryGuardConfig, logger: Logger, registry: Registry | undefined, heap?: HeapAccess) {
    if (config.resumeBelowPercent >= config.shedAbovePercent) {
      throw new TributaryError('CONFIG_INVALID', `node.memoryGuard.resumeBelowPercent (${config.resumeBelowPercent}) must be below node.memoryGuard.shedAbovePercent (${config.shedAbovePercent}), or refusals would never stop`, { key: 'node.memoryGuard.resumeBelowPercent' });
    }
    this.#shedAbove = config.shedAbovePercent / 100;
    this.#resumeBelow = config.resumeBelowPercent / 100;
    this.retryAfterMs = config.sampleIntervalMs;
    this.#readHeap = heap?.readHeap ?? readV8Heap;
    this.#collect = heap === undefined ? v8FullCollection() : heap.collect;
    this.#logger = logger;
    // One line per interval for a flood of refusals; the counter has every one.
    this.#warnings = new RepeatedWarnings(logger, config.sampleIntervalMs);
    const registers = registry === undefined ? [] : [registry];
    this.#refusals = new Counter({ name: 'tributary_memory_pressure_refusals_total', help: 'Requests refused because the heap was above node.memoryGuard.shedAbovePercent of its limit, by protocol and request (connect, publish, produce)', labelNames: ['protocol', 'request'], registers });
    const guard = this;
    new Gauge({ name: 'tributary_memory_heap_used_ratio', help: 'Used V8 heap as a fraction of its limit (heap_size_limit), as the memory guard last read it', registers, collect() { this.set(guard.#fraction); } });
    new Gauge({ name: 'tributary_memory_pressure', help: '1 while the memory guard refuses new work, else 0', registers, collect() { this.set(guard.#shedding ? 1 : 0); } });
    this.sample();
  }

  get shedding(): boolean {
    return this.#shedding;
  }

  /** Reads the heap on a timer that does not keep the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => this.sample(), this.retryAfterMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the heap once and moves between shedding and not at the two marks. */
  sample(): void {
    let { usedBytes, limitBytes } = this.#readHeap();
    if (this.#shedding && this.#collect !== undefined && usedBytes >= limitBytes * this.#resumeBelow) {
      this.#collect();
      ({ usedBytes, limitBytes } = this.#readHeap());
    }
    this.#fraction = limitBytes > 0 ? usedBytes / limitBytes : 0;
    const details = { heapUsedBytes: usedBytes, heapLimitBytes: limitBytes, heapUsedPercent: Math.round(this.#fraction * 100) };
    if (!this.#shedding && this.#fraction >= this.#shedAbove) {
      this.#shedding = true;
      this.#logger.warn({ ...details, shedAbovePercent: Math.round(this.#shedAbove * 100) }, 'memory pressure: the heap is near its limit; refusing new MQTT connections and publishes and Kafka produce until it falls');
    } else if (this.#shedding && this.#fraction < this.#resumeBelow) {
      this.#shedding = false;
      this.#logger.info({ ...details, resumeBelowPercent: Math.round(this.#resumeBelow * 100) }, 'memory pressure over: accepting new work again');
    }
  }

  refused(request: ShedRequest): string {
    this.#refusals.inc({ protocol: request.protocol, request: request.request });
    const message = `the broker is near its memory limit (heap ${Math.round(this.#fraction * 100)}% of its limit, node.memoryGuard.shedAbovePercent ${Math.round(this.#shedAbove * 100)}%); try again later`;
    this.#warnings.warn(`${request.protocol}-${request.request}`, { protocol: request.protocol, request: request.request }, `memory pressure: ${request.protocol} ${request.request} refused: ${message}`);
    return message;
  }
}
