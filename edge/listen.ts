// Binds a server and returns the port it got (port 0 asks for any free one); a bind
// error (address in use, permission) rejects instead of being thrown later as an event.
import type { Server } from 'node:net';

export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`assertion failed: a TCP server has a port, not ${address}`);
  return address.port;
}
