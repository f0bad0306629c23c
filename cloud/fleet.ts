// The fleet view: reads the heartbeat topic from any Kafka-API cluster (Apache Kafka in
// production, `tributary central` in development) and keeps, for each edge, its newest
// heartbeat (last contact, link state, backlog, throughput, errors and data lost), its recent
// history and its alerts (fleet-history.ts, fleet-alerts.ts). It serves them as pages, JSON
// and Prometheus metrics (fleet-routes.ts).
//
// At start it reads back at most FLEET_HISTORY_RECORDS heartbeats per partition, enough to
// know every edge that reported recently without reading years of them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TributaryError } from '../shared/errors.ts';
import { decodeRecords, iterateBatchHeaders } from '../shared/kafka/record-batch.ts';
import type { Logger } from '../shared/logger.ts';
import { decodeHeartbeat, type Heartbeat } from '../shared/heartbeat.ts';
import { KafkaClient } from '../shared/kafka/client/kafka-client.ts';
import { describeError, KafkaError } from '../shared/kafka/client/kafka-errors.ts';
import { listenOn } from '../shared/listeners/listen.ts';
import { alertsOf, type AlertName, type AlertThresholds } from './fleet-alerts.ts';
import { EdgeHistory } from './fleet-history.ts';
import { handleFleetRequest } from './fleet-routes.ts';

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
  alerts: AlertName[];
  /** Read time minus send time of the newest heartbeat read as it arrived (positive: the edge's clock is behind); null before one. */
  clockSkewSeconds: number | null;
  /** How much the backlog grew over the alert's window; null before the window is covered. */
  backlogGrowthRecords: number | null;
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
  /** When each alert fires; see fleet-alerts.ts. */
  thresholds: AlertThresholds;
  logger: Logger;
  now?: () => number;
}

export class FleetView {
  readonly #options: FleetOptions;
  readonly #client: KafkaClient;
  readonly #edges = new Map<string, { heartbeat: Heartbeat; receivedAtMs: number; seen: number; history: EdgeHistory }>();
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

  get options(): Readonly<FleetOptions> {
    return this.#options;
  }

  edges(): EdgeSummary[] {
    const now = (this.#options.now ?? Date.now)();
    return [...this.#edges.values()]
      .map(({ heartbeat, receivedAtMs, seen, history }) => ({
        ...heartbeat,
        receivedAtMs,
        heartbeatsSeen: seen,
        health: this.#health(heartbeat, now),
        alerts: alertsOf(heartbeat, history, this.#options.thresholds, now),
        clockSkewSeconds: history.clockSkewMs === null ? null : history.clockSkewMs / 1000,
        backlogGrowthRecords: history.backlogGrowth(this.#options.thresholds.backlogGrowthWindowSeconds * 1000),
      }))
      .sort((a, b) => a.edge.localeCompare(b.edge));
  }

  /** An edge's recent heartbeats and the errors it reported; undefined for an edge never heard of. */
  history(edge: string): EdgeHistory | undefined {
    return this.#edges.get(edge)?.history;
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
    // Partitions read up to their end once: what comes after is read as it arrives (for clock skew).
    const caughtUp = new Set<number>();
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
          positions.set(partition, this.#take(fetched.records, position, caughtUp.has(partition)));
          if (fetched.records.length === 0) caughtUp.add(partition);
        }
        if (partitions > 1) await this.#pause(FETCH_WAIT_MS);
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        logger.warn({ err: describeError(error) }, 'reading heartbeats failed; trying again');
        await this.#pause();
      }
    }
  }

  /** Applies the heartbeats in `records` from `position` on; returns the next position. `live`: read as they arrived. */
  #take(records: Buffer, position: bigint, live: boolean): bigint {
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
        const history = known?.history ?? new EdgeHistory();
        history.observe(heartbeat, now, live);
        this.#edges.set(heartbeat.edge, { heartbeat, receivedAtMs: now, seen: (known?.seen ?? 0) + 1, history });
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
    handleFleetRequest(this, request, response).catch((error: unknown) => {
      this.#options.logger.error({ err: error }, 'fleet view request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: (error as Error).message }));
    });
  }
}
