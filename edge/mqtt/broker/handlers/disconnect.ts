// DISCONNECT from the client (MQTT 5.0 section 3.14).
import { ReasonCode } from '../../packets/constants.ts';
import type { DisconnectPacket } from '../../packets/inbound.ts';
import type { Connection } from '../connection.ts';

export function handleDisconnect(connection: Connection, packet: DisconnectPacket): void {
  const broker = connection.broker;
  const session = connection.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    // [MQTT-3.14.2-2] A session that was to end with the connection cannot be extended here.
    if (connection.connectSessionExpiry === 0 && expiry !== 0) {
      broker.violation(connection, 'session-expiry', 'DISCONNECT: a Session Expiry Interval set although CONNECT asked for 0', ReasonCode.PROTOCOL_ERROR);
      return;
    }
    session.expirySeconds = Math.min(expiry, broker.config.limits.maxSessionExpirySeconds);
  }
  // [MQTT-3.1.2-10] A normal disconnection deletes the will; 0x04 asks for it to be published.
  if (packet.reasonCode !== ReasonCode.DISCONNECT_WITH_WILL && connection.will !== undefined) {
    connection.will = undefined;
    void broker.wills.discard(connection.clientId);
  }
  // [MQTT-3.14.4-1] The client closes the connection; the broker does not wait for it.
  connection.destroy();
}
