// One direction of one proxied connection: bytes read from a source socket pass a
// bandwidth cap (token bucket), then an added delay, then are written to the destination
// socket, in order. While the link is black-holed nothing moves and the data waits, as a
// TCP sender would hold and retransmit it; when the bytes waiting reach the buffer limit,
// the source socket is paused so TCP flow control pushes back on the sender.
import type { Socket } from 'node:net';
import type { TokenBucket } from './token-bucket.ts';

/** What a pipe asks of the link it belongs to; read on every step, so changes apply at once. */
export interface PipeContext {
  /** The bandwidth cap of this direction, or null for none. */
  bucket(): TokenBucket | null;
  latencyMs(): number;
  blackholed(): boolean;
  /** Bytes a pipe may hold (read but not yet accepted by the destination) before it pauses its source. */
  bufferBytesMax(): number;
  delivered(bytes: number): void;
  /** The pipe paused its source because its buffer is full. */
  backpressure(bufferedBytes: number): void;
}

interface InTransit {
  data: Buffer;
  deliverAtMs: number;
}

export class Pipe {
  readonly #source: Socket;
  readonly #destination: Socket;
  readonly #context: PipeContext;
  /** Chunks read from the source, waiting for bandwidth. */
  readonly #waiting: Buffer[] = [];
  /** Chunks that passed the cap, waiting for their delivery time. */
  readonly #inTransit: InTransit[] = [];
  #queuedBytes = 0;
  #pumping = false;
  #sourceEnded = false;
  #finished = false;
  #closed = false;
  #deliveryTimer: NodeJS.Timeout | null = null;
  #lastDeliverAtMs = 0;
  #bufferedBytesPeak = 0;

  constructor(source: Socket, destination: Socket, context: PipeContext) {
    this.#source = source;
    this.#destination = destination;
    this.#context = context;
    source.on('data', (chunk: Buffer) => this.#onData(chunk));
    source.on('end', () => {
      this.#sourceEnded = true;
      this.#step();
    });
    destination.on('drain', () => this.#maybeResume());
  }

  /** Bytes read from the source and not yet handed to the destination socket. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** The most this pipe ever held: its own queue plus what the destination socket buffered. */
  get bufferedBytesPeak(): number {
    return this.#bufferedBytesPeak;
  }

  /** Whether the source has ended and everything read from it was handed on. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Resumes moving data after a black hole ended or the shape changed. */
  wake(): void {
    this.#step();
  }

  /** Drops what is queued: the connection is gone. */
  close(): void {
    this.#closed = true;
    this.#waiting.length = 0;
    this.#inTransit.length = 0;
    this.#queuedBytes = 0;
    if (this.#deliveryTimer !== null) clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = null;
  }

  #buffered(): number {
    return this.#queuedBytes + this.#destination.writableLength;
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#waiting.push(chunk);
    this.#queuedBytes += chunk.length;
    const buffered = this.#buffered();
    if (buffered > this.#bufferedBytesPeak) this.#bufferedBytesPeak = buffered;
    if (buffered >= this.#context.bufferBytesMax() && !this.#source.isPaused()) {
      this.#source.pause();
      this.#context.backpressure(buffered);
    }
    this.#step();
  }

  #step(): void {
    if (this.#closed) return;
    this.#deliver();
    if (!this.#pumping) void this.#pump();
  }

  /** Moves waiting chunks through the bandwidth cap into transit, one slice at a time. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#closed && !this.#context.blackholed() && this.#waiting.length > 0) {
        const head = this.#waiting[0]!;
        const bucket = this.#context.bucket();
        let slice = head;
        if (bucket !== null && head.length > bucket.sliceBytesMax) {
          slice = head.subarray(0, bucket.sliceBytesMax);
          this.#waiting[0] = head.subarray(bucket.sliceBytesMax);
        } else {
          this.#waiting.shift();
        }
        if (bucket !== null) await bucket.take(slice.length);
        if (this.#closed) return;
        // Delivery times never go backwards, so a latency lowered at run time keeps the order.
        const deliverAtMs = Math.max(performance.now() + this.#context.latencyMs(), this.#lastDeliverAtMs);
        this.#lastDeliverAtMs = deliverAtMs;
        this.#inTransit.push({ data: slice, deliverAtMs });
        this.#deliver();
      }
    } finally {
      this.#pumping = false;
    }
    this.#maybeFinish();
  }

  /** Writes the chunks whose delivery time has come. */
  #deliver(): void {
    if (this.#closed || this.#context.blackholed()) return;
    const nowMs = performance.now();
    while (this.#inTransit.length > 0) {
      const head = this.#inTransit[0]!;
      if (head.deliverAtMs > nowMs) {
        this.#armDeliveryTimer(head.deliverAtMs - nowMs);
        return;
      }
      this.#inTransit.shift();
      this.#queuedBytes -= head.data.length;
      if (this.#destination.destroyed) continue;
      this.#destination.write(head.data);
      this.#context.delivered(head.data.length);
    }
    this.#maybeResume();
    this.#maybeFinish();
  }

  #armDeliveryTimer(delayMs: number): void {
    if (this.#deliveryTimer !== null) return;
    this.#deliveryTimer = setTimeout(() => {
      this.#deliveryTimer = null;
      this.#step();
    }, Math.max(1, Math.ceil(delayMs)));
  }

  #maybeResume(): void {
    // Resume at half the limit, not just below it, so a busy pipe does not pause and
    // resume on every chunk.
    if (this.#closed || !this.#source.isPaused() || this.#source.destroyed) return;
    if (this.#buffered() <= this.#context.bufferBytesMax() / 2) this.#source.resume();
  }

  #maybeFinish(): void {
    if (this.#finished || this.#closed || !this.#sourceEnded || this.#pumping) return;
    if (this.#waiting.length > 0 || this.#inTransit.length > 0) return;
    this.#finished = true;
    // Pass the half-close on: the source sent FIN, so the destination gets one too.
    if (!this.#destination.destroyed) this.#destination.end();
  }
}
