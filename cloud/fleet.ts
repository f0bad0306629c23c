// The fleet view: reads the heartbeat topic from any Kafka-API cluster (Apache Kafka in
// production, `tributary central` in development) and keeps, for each edge, its newest
// heartbeat: last contact, link state, backlog, throughput, errors and data lost. It serves
// them as a small HTML page (GET /) and as JSON (GET /api/edges, GET /api/edges/<id>).
//
// At start it reads back at most FLEET_HISTORY_RECORDS heartbeats per partition, enough to
// know every edge that reported recently without reading years of them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TributaryError } from '../shared/errors.ts';
import { decodeRecords, iterateBatchHeaders } from '../shared/kafka/record-batch.ts';
import type { Logger } from '../shared/logger.ts';
import { decodeHeartbeat, type Heartbeat } from '../mirror/heartbeat.ts';
import { describeError, KafkaClient } from '../mirror/kafka-client.ts';
import { ErrorCode as KafkaError } from '../shared/kafka/protocol/error-codes.ts';
import { listenOn } from '../edge/listeners/listen.ts';
import { renderFleetPage } from './fleet-page.ts';

/** Heartbeats read back per partition at start. */
export const FLEET_HISTORY_RECORDS = 100_000n;
/** Edges remembered; past this the one silent longest is forgotten. */
export const FLEET_EDGES_MAX = 100_000;
/** Bytes per fetch; heartbeats are about 100 bytes. */
const FETCH_BYTES_MAX = 1024 * 1024;
/** A fetch waits this long for new heartbeats before asking again. */
const FETCH_WAIT_MS = 1_000;
/** Pause after a failed read or while the topic does not exist yet. */
const RETRY_PAUSE_MS = 2_000;
/** HTTP clients served at once: the page is for operators. */
const HTTP_CONNECTIONS_MAX = 64;

export type EdgeHealth = 'ok' | 'lagging' | 'link-down' | 'silent';

export interface EdgeSummary extends Heartbeat {
  /** When the fleet view read the newest heartbeat. */
  receivedAtMs: number;
  heartbeatsSeen: number;
  health: EdgeHealth;
}

export interface FleetOptions {
  bootstrap: readonly string[];
  topic: string;
  host: string;
  port: number;
  /** An edge silent for longer than this is shown as silent. */
  silentAfterMs: number;
  /** An edge more than this many seconds behind is shown as lagging. */
  laggingAfterSeconds: number;
  logger: Logger;
  now?: () => number;
}

export class FleetView {
  readonly #options: FleetOptions;
  readonly #client: KafkaClient;
  readonly #edges = new Map<string, { heartbeat: Heartbeat; receivedAtMs: number; seen: number }>();
  readonly #server: Server;
  readonly #abort = new AbortController();
  #reading: Promise<void> | undefined;
  #invalidRecords = 0;
  port = 0;

  private constructor(options: FleetOptions) {
    this.#options = options;
    this.#client = new KafkaClient({ bootstrap: options.bootstrap, clientId: 'tributary-fleet', connectTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    this.#server = createServer((request, response) => this.#handle(request, response));
    this.#server.maxConnections = HTTP_CONNECTIONS_MAX;
  }

  static async start(options: FleetOptions): Promise<FleetView> {
    const view = new FleetView(options);
    view.port = await listenOn(view.#server, { key: '--listen', host: options.host, port: options.port });
    view.#reading = view.#read();
    return view;
  }

  get invalidRecords(): number {
    return this.#invalidRecords;
  }

  edges(): EdgeSummary[] {
    const now = (this.#options.now ?? Date.now)();
    return [...this.#edges.values()]
      .map(({ heartbeat, receivedAtMs, seen }) => ({ ...heartbeat, receivedAtMs, heartbeatsSeen: seen, health: this.#health(heartbeat, now) }))
      .sort((a, b) => a.edge.localeCompare(b.edge));
  }

  #health(heartbeat: Heartbeat, now: number): EdgeHealth {
    // Last contact is the edge's own clock (heartbeat sentAtMs): read back from history,
    // the time a heartbeat is read says nothing. Edges need a clock set by NTP for this.
    if (now - heartbeat.sentAtMs > this.#options.silentAfterMs) return 'silent';
    if (heartbeat.linkState === 'down' || heartbeat.linkState === 'connecting') return 'link-down';
    if (heartbeat.lagSeconds > this.#options.laggingAfterSeconds) return 'lagging';
    return 'ok';
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reading?.catch(() => undefined);
    await this.#client.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Reads every partition of the heartbeat topic, oldest kept heartbeat first, then follows it. */
  async #read(): Promise<void> {
    const { topic, logger } = this.#options;
    const positions = new Map<number, bigint>();
    let waitingLogged = false;
    while (!this.#abort.signal.aborted) {
      try {
        const partitions = await this.#client.partitionCount(topic);
        if (partitions === undefined) {
          if (!waitingLogged) logger.info({ topic }, 'the heartbeat topic does not exist yet; looking again');
          waitingLogged = true;
          await this.#pause();
          continue;
        }
        for (let partition = 0; partition < partitions; partition += 1) {
          if (this.#abort.signal.aborted) return;
          let position = positions.get(partition);
          if (position === undefined) {
            const { logStartOffset, highWatermark } = await this.#client.offsets(topic, partition);
            position = highWatermark - FLEET_HISTORY_RECORDS > logStartOffset ? highWatermark - FLEET_HISTORY_RECORDS : logStartOffset;
          }
          // With one partition the fetch may wait for news; with several it must not hold up the others.
          const fetched = await this.#client.fetch(topic, partition, position, FETCH_BYTES_MAX, partitions === 1 ? FETCH_WAIT_MS : 0);
          if (fetched.errorCode === KafkaError.OFFSET_OUT_OF_RANGE) {
            positions.set(partition, fetched.logStartOffset);
            continue;
          }
          if (fetched.errorCode !== KafkaError.NONE) throw new TributaryError('BROKER_REQUEST_FAILED', `fetch ${topic}/${partition}: Kafka error ${fetched.errorCode}`, { kafkaErrorCode: fetched.errorCode });
          positions.set(partition, this.#take(fetched.records, position));
        }
        if (partitions > 1) await this.#pause(FETCH_WAIT_MS);
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        logger.warn({ err: describeError(error) }, 'reading heartbeats failed; trying again');
        await this.#pause();
      }
    }
  }

  /** Applies the heartbeats in `records` from `position` on; returns the next position. */
  #take(records: Buffer, position: bigint): bigint {
    let next = position;
    const now = (this.#options.now ?? Date.now)();
    for (const header of iterateBatchHeaders(records)) {
      if (header.lastOffset < position) continue;
      next = header.lastOffset + 1n;
      if (header.isControlBatch) continue;
      for (const record of decodeRecords(records, header.position)) {
        if (record.offset < position || record.value === null) continue;
        let heartbeat: Heartbeat;
        try {
          heartbeat = decodeHeartbeat(record.value);
        } catch (error) {
          this.#invalidRecords += 1;
          if (this.#invalidRecords <= 10) this.#options.logger.warn({ offset: record.offset.toString(), err: (error as Error).message }, 'skipping a record of the heartbeat topic that is not a heartbeat');
          continue;
        }
        const known = this.#edges.get(heartbeat.edge);
        if (known !== undefined && known.heartbeat.sentAtMs > heartbeat.sentAtMs) {
          known.seen += 1;
          continue;
        }
        this.#edges.delete(heartbeat.edge);
        this.#edges.set(heartbeat.edge, { heartbeat, receivedAtMs: now, seen: (known?.seen ?? 0) + 1 });
        if (this.#edges.size > FLEET_EDGES_MAX) this.#edges.delete(this.#edges.keys().next().value!);
      }
    }
    return next;
  }

  #pause(ms = RETRY_PAUSE_MS): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fleet');
    if (request.method !== 'GET') return send(response, 405, 'application/json', JSON.stringify({ error: `${request.method} is not allowed` }));
    if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', renderFleetPage(this.edges(), { topic: this.#options.topic, bootstrap: this.#options.bootstrap.join(','), generatedAtMs: Date.now() }));
    if (url.pathname === '/api/edges') return send(response, 200, 'application/json', JSON.stringify({ generatedAtMs: Date.now(), topic: this.#options.topic, edges: this.edges() }));
    if (url.pathname.startsWith('/api/edges/')) {
      const id = decodeURIComponent(url.pathname.slice('/api/edges/'.length));
      const edge = this.edges().find((entry) => entry.edge === id);
      return edge === undefined ? send(response, 404, 'application/json', JSON.stringify({ error: `no heartbeat from an edge named ${id}` })) : send(response, 200, 'application/json', JSON.stringify(edge));
    }
    if (url.pathname === '/health') return send(response, 200, 'application/json', JSON.stringify({ status: 'ok', role: 'fleet', edges: this.#edges.size }));
    return send(response, 404, 'application/json', JSON.stringify({ error: `no such path: ${url.pathname} (try /, /api/edges, /api/edges/<id>)` }));
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
