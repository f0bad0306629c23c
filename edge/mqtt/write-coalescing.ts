// Coalesces the packets aedes writes to one connection within one turn of the event loop
// into one socket write.
//
// aedes delivers each message from its own setImmediate callback, and mqtt-packet corks
// the socket for each packet and uncorks it on the next tick: every packet becomes one
// writev system call. On a busy broker those calls are about half of its CPU time. Here
// the first packet of a turn takes a second cork that is released from a setImmediate,
// so everything written until then (PUBACKs of a whole batch, deliveries to a
// subscriber) leaves in one call. An idle connection still writes at once: the release
// comes after the current turn, without a timer.
import type { Duplex } from 'node:stream';

export function coalesceWrites(stream: Duplex): void {
  const cork = stream.cork.bind(stream);
  let held = false;
  const release = (): void => {
    held = false;
    if (!stream.destroyed) stream.uncork();
  };
  stream.cork = (): void => {
    cork();
    if (!held) {
      held = true;
      cork();
      setImmediate(release);
    }
  };
}
