// MQTT 5 enhanced authentication (section 4.12): a CONNECT that names an Authentication
// Method runs that SASL mechanism's exchange (SCRAM-SHA-256 or SCRAM-SHA-512, the same code
// as Kafka's: edge/auth/scram-mechanism.ts) over AUTH packets before its CONNACK. The client
// sends client-first in the CONNECT's Authentication Data, the broker answers AUTH 0x18 with
// server-first, the client sends AUTH 0x18 with client-final, and the CONNACK carries
// server-final. Once connected, the client may run the exchange again with AUTH 0x19
// (re-authentication, 4.12.1), as the same user and method; success is answered with AUTH
// 0x00, failure with DISCONNECT 0x87.
import { PacketType, ReasonCode } from '../../packets/constants.ts';
import type { AuthPacket } from '../../packets/inbound.ts';
import { writeReasonPacket } from '../../packets/outbound.ts';
import type { Connection } from '../connection.ts';

const EMPTY = Buffer.alloc(0);

/** Feeds the client's Authentication Data to the exchange: a challenge goes back in AUTH 0x18, an end finishes it. */
export async function authenticationStep(connection: Connection, data: Buffer | undefined): Promise<void> {
  const state = connection.authentication!;
  const step = await state.exchange.step(data ?? EMPTY);
  if (connection.closed) return;
  if (step.outcome === 'challenge') {
    connection.send(writeReasonPacket(PacketType.AUTH, ReasonCode.CONTINUE_AUTHENTICATION, { authenticationMethod: state.method, authenticationData: step.response }));
    return;
  }
  connection.authentication = undefined;
  await state.finish(step);
}

export function handleAuth(connection: Connection, packet: AuthPacket): void | Promise<void> {
  const broker = connection.broker;
  const method = packet.properties?.authenticationMethod;
  if (connection.authentication !== undefined) {
    // [MQTT-4.12.0-4] AUTH during an exchange continues it, with the same method.
    if (packet.reasonCode !== ReasonCode.CONTINUE_AUTHENTICATION || method !== connection.authentication.method) {
      return broker.violation(connection, 'unexpected-auth', `AUTH: expected reason 0x18 with method ${connection.authentication.method} during the exchange`, ReasonCode.PROTOCOL_ERROR);
    }
    return authenticationStep(connection, packet.properties?.authenticationData);
  }
  if (!connection.connected || connection.authenticationMethod === undefined) {
    return broker.violation(connection, 'unexpected-auth', 'AUTH: no enhanced authentication is in progress on this connection', ReasonCode.PROTOCOL_ERROR);
  }
  // [MQTT-4.12.1-1] Re-authentication uses the method of the CONNECT.
  if (packet.reasonCode !== ReasonCode.REAUTHENTICATE || method !== connection.authenticationMethod) {
    return broker.violation(connection, 'unexpected-auth', `AUTH: re-authentication must use reason 0x19 and method ${connection.authenticationMethod}`, ReasonCode.PROTOCOL_ERROR);
  }
  const mechanism = broker.access.users.mechanism(method);
  const username = connection.username;
  if (mechanism === undefined) {
    connection.disconnect(ReasonCode.NOT_AUTHORIZED, `re-authentication refused: no user holds a ${method} credential any more`);
    return;
  }
  connection.authentication = {
    method,
    exchange: mechanism.start(),
    finish: (step) => {
      if (step.outcome === 'authenticated' && step.user === username) {
        connection.send(writeReasonPacket(PacketType.AUTH, ReasonCode.SUCCESS, { authenticationMethod: method, authenticationData: step.response }));
        return;
      }
      const reason = step.outcome === 'failed' ? step.reason : `signed in as "${step.user}", not "${username}"`;
      broker.logger.warn({ clientId: connection.clientId, user: username }, `MQTT re-authentication refused: ${reason}`);
      connection.disconnect(ReasonCode.NOT_AUTHORIZED, 'Re-authentication failed');
    },
  };
  return authenticationStep(connection, packet.properties?.authenticationData);
}
