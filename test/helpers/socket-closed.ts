// A socket's end, as a promise that always resolves. `events.once(socket, 'close')` rejects
// when an 'error' comes first, and a broker that cuts a client off with a TCP reset makes
// exactly that ('read ECONNRESET', then 'close'): a test waiting for the cut-off would fail
// on the very thing it waits for, depending on whether the reset or the FIN arrived first.
import type { Socket } from 'node:net';

export function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}
