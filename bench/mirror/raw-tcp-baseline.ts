// What the link itself allows: a raw TCP stream of the same bytes, through a link with the
// same cap, to a sink that only counts them. No Kafka protocol, no acknowledgements.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { createLink } from '../../firmware-sim/link/link.ts';

/** Bytes handed to the socket per write. */
const WRITE_BYTES = 64 * 1024;

/** Seconds to push `bytes` through a link capped at `bandwidthBytesPerSecond` to a TCP sink. */
export async function rawTcpSeconds(bytes: number, bandwidthBytesPerSecond: number): Promise<number> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const sink = createServer((socket) => {
    // The link resets its side when the sender goes away; that is the end, not an error.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) done();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const link = await createLink({ listen: '127.0.0.1:0', target: `127.0.0.1:${(sink.address() as AddressInfo).port}`, bandwidthBytesPerSecond });
  const socket = connect(link.listen.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const chunk = randomBytes(WRITE_BYTES);
  const started = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  await link.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  return seconds;
}
