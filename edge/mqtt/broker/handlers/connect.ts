// CONNECT (MQTT 3.1.1 section 3.1, MQTT 5.0 section 3.1): who the client is, whether it
// may connect, which session it gets, its will, and the CONNACK that answers.
import { randomUUID } from 'node:crypto';
import { ConnackReturnCode, ProtocolLevel, ReasonCode, SESSION_NEVER_EXPIRES, TWO_BYTE_INTEGER_MAX } from '../../packets/constants.ts';
import type { ConnectPacket } from '../../packets/inbound.ts';
import type { Properties } from '../../packets/properties.ts';
import { writeConnack } from '../../packets/outbound.ts';
import { forwardedProperties } from '../../message.ts';
import type { RefusalReason } from '../../access.ts';
import type { Connection } from '../connection.ts';
import type { Session } from '../session.ts';
import { reservedUserProperty } from './publish.ts';
import { authenticationStep } from './authenticate.ts';
import type { MqttPermissions } from '../../permissions.ts';
import type { CertificateIdentity } from '../../../auth/certificate-principal.ts';

/** MQTT 3.1 (protocol level 3) caps client identifiers at 23 bytes [MQTT-3.1.3-5 in 3.1]. */
const MQTT31_CLIENT_ID_BYTES_MAX = 23;

/** The code each refusal gets: MQTT 3.1.1 CONNACK return code, MQTT 5 reason code. */
const REFUSAL_CODES: Record<RefusalReason, [number, number]> = {
  'unsupported-protocol': [ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION],
  'client-id': [ConnackReturnCode.IDENTIFIER_REJECTED, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID],
  'max-connections': [ConnackReturnCode.SERVER_UNAVAILABLE, ReasonCode.SERVER_BUSY],
  // Near the heap limit (edge/daemon/memory-guard.ts): 3.1.1 has only "server unavailable"; MQTT 5 says Quota exceeded.
  'memory-pressure': [ConnackReturnCode.SERVER_UNAVAILABLE, ReasonCode.QUOTA_EXCEEDED],
  'bad-credentials': [ConnackReturnCode.BAD_USER_NAME_OR_PASSWORD, ReasonCode.BAD_USER_NAME_OR_PASSWORD],
  anonymous: [ConnackReturnCode.NOT_AUTHORIZED, ReasonCode.NOT_AUTHORIZED],
  'not-authorized': [ConnackReturnCode.NOT_AUTHORIZED, ReasonCode.NOT_AUTHORIZED],
  'bad-authentication-method': [ConnackReturnCode.NOT_AUTHORIZED, ReasonCode.BAD_AUTHENTICATION_METHOD],
  'certificate-subject': [ConnackReturnCode.NOT_AUTHORIZED, ReasonCode.NOT_AUTHORIZED],
};

/** Refuses a CONNECT; `logMessage`, when given, is what the log says in place of what the client is told. */
function refuse(connection: Connection, packet: ConnectPacket, reason: RefusalReason, message: string, code?: number, logMessage?: string): void {
  const v5 = packet.protocolLevel === ProtocolLevel.V5;
  const [v3Code, v5Code] = REFUSAL_CODES[reason];
  const sent = code ?? (v5 ? v5Code : v3Code);
  connection.broker.access.refused(reason, packet.clientId, connection.remote, sent, logMessage ?? message);
  // An unsupported level is answered in the 3.1.1 layout, which every level can read.
  const level = reason === 'unsupported-protocol' ? ProtocolLevel.V311 : packet.protocolLevel;
  connection.send(writeConnack(level, false, sent, v5 && reason !== 'unsupported-protocol' ? { reasonString: message } : undefined));
  connection.disconnect(sent);
}

export async function handleConnect(connection: Connection, packet: ConnectPacket): Promise<void> {
  const broker = connection.broker;
  const limits = broker.config.limits;
  // [MQTT-3.1.2-2] A protocol level this broker does not speak.
  if (!packet.supported) return refuse(connection, packet, 'unsupported-protocol', `protocol level ${packet.protocolLevel} is not supported`);
  const v5 = packet.protocolLevel === ProtocolLevel.V5;
  const properties = packet.properties;
  if (!connection.admitted) return refuse(connection, packet, 'max-connections', `${limits.maxConnections} connections are open (mqtt.limits.maxConnections)`);
  if (broker.memoryGuard?.shedding) return refuse(connection, packet, 'memory-pressure', broker.memoryGuard.refused({ protocol: 'mqtt', request: 'connect' }));

  let clientId = packet.clientId;
  let assigned = false;
  const clientIdBytes = Buffer.byteLength(clientId, 'utf8');
  if (clientIdBytes === 0) {
    // [MQTT-3.1.3-8] In 3.1.1 an empty client id needs clean session 1; MQTT 5 assigns one [MQTT-3.2.2-16].
    if (!v5 && !packet.clean) return refuse(connection, packet, 'client-id', 'an empty client identifier requires clean session');
    clientId = `auto-${randomUUID()}`;
    assigned = true;
  } else if (clientIdBytes > limits.maxClientIdBytes) {
    // [MQTT-3.1.3-5] allows refusing identifiers longer than 23 bytes; this is the bound.
    return refuse(connection, packet, 'client-id', `client identifier of ${clientIdBytes} bytes exceeds ${limits.maxClientIdBytes} (mqtt.limits.maxClientIdBytes)`);
  } else if (packet.protocolLevel === ProtocolLevel.V31 && clientIdBytes > MQTT31_CLIENT_ID_BYTES_MAX) {
    return refuse(connection, packet, 'client-id', `MQTT 3.1 client identifiers are at most ${MQTT31_CLIENT_ID_BYTES_MAX} bytes`);
  }
  const reserved = reservedUserProperty(packet.will?.properties?.userProperties);
  if (reserved !== undefined) return refuse(connection, packet, 'not-authorized', `the will's user property "${reserved}" is a header name the broker reserves`, v5 ? ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR : ConnackReturnCode.NOT_AUTHORIZED);
  if (connection.certificate !== undefined) return admitCertificate(connection, packet, clientId, assigned, connection.certificate);
  // Enhanced authentication (section 4.12): the exchange runs first, over AUTH packets.
  if (properties?.authenticationMethod !== undefined) return beginAuthentication(connection, packet, clientId, assigned, properties.authenticationMethod);

  const admission = await broker.access.admit(packet.username, packet.password, clientId, connection.remote, packet.will?.topic);
  if (connection.closed) return;
  if (admission.refused !== undefined) {
    const code = admission.message?.startsWith('password check failed') ? (v5 ? ReasonCode.SERVER_UNAVAILABLE : ConnackReturnCode.SERVER_UNAVAILABLE) : undefined;
    return refuse(connection, packet, admission.refused, admission.message ?? 'refused', code);
  }
  return completeConnect(connection, packet, clientId, assigned, packet.username, admission.permissions, undefined);
}

/**
 * A client with a verified certificate is the user its subject maps to (the shared
 * kafka.authorization.principalMappingRules), and needs no password. As mosquitto's
 * use_identity_as_username does, a user name and password in the CONNECT are ignored: the
 * certificate is the stronger proof, and a device keeps its configured credentials working
 * when it moves to mutual TLS. There is nothing left for an exchange to prove, so an
 * Authentication Method gets 0x8C. A subject no rule matches is refused (0x87; 3.1.1: 0x05),
 * as Kafka refuses such a handshake; so is a user not listed when allowAnonymous is false,
 * as a password user would be.
 */
function admitCertificate(connection: Connection, packet: ConnectPacket, clientId: string, assigned: boolean, certificate: CertificateIdentity): Promise<void> | void {
  const { principal, subject } = certificate;
  if (principal === undefined) {
    return refuse(connection, packet, 'certificate-subject', 'the client certificate names no user', undefined, `no kafka.authorization.principalMappingRules rule matches the client certificate's subject "${subject}"`);
  }
  const method = packet.properties?.authenticationMethod;
  if (method !== undefined) return refuse(connection, packet, 'bad-authentication-method', `authentication method "${method}" is not served to a client that presented a certificate: the certificate names its user`);
  const access = connection.broker.access;
  // With anonymous clients refused, the list is who may connect, whatever proved the name.
  if (!access.users.allowAnonymous && !access.users.has(principal.name)) {
    return refuse(connection, packet, 'not-authorized', `user "${principal.name}" is not listed in mqtt.authentication.users`, undefined, `user "${principal.name}" (client certificate "${subject}") is not listed in mqtt.authentication.users, and allowAnonymous is false`);
  }
  if (packet.username !== undefined && packet.username !== principal.name) {
    connection.broker.logger.info({ clientId, user: principal.name, ignoredUsername: packet.username, subject }, 'MQTT CONNECT user name ignored: the client certificate names the user');
  }
  const admission = access.admitAuthenticated(principal.name, clientId, connection.remote, packet.will?.topic);
  if (admission.refused !== undefined) return refuse(connection, packet, admission.refused, admission.message ?? 'refused');
  return completeConnect(connection, packet, clientId, assigned, principal.name, admission.permissions, undefined);
}

/**
 * Runs the mechanism the CONNECT names (authenticate.ts); its end refuses the CONNECT with
 * 0x86 (Bad User Name or Password) or completes it, the CONNACK carrying the server's last
 * message in its Authentication Method and Data (sections 3.2.2.3.17-18). A method no user can pass gets
 * 0x8C (Bad authentication method).
 */
function beginAuthentication(connection: Connection, packet: ConnectPacket, clientId: string, assigned: boolean, method: string): Promise<void> | void {
  const access = connection.broker.access;
  const mechanism = access.users.mechanism(method);
  if (mechanism === undefined) {
    const served = access.users.methods;
    return refuse(connection, packet, 'bad-authentication-method', `authentication method "${method}" is not supported${served.length === 0 ? '' : ` (served: ${served.join(', ')})`}`);
  }
  connection.authentication = {
    method,
    exchange: mechanism.start(),
    finish: (step) => {
      if (step.outcome === 'failed') return refuse(connection, packet, 'bad-credentials', step.clientMessage ?? 'Bad user name or password', undefined, step.reason);
      // The user name of CONNECT, when sent, must be the one the exchange proved.
      if (packet.username !== undefined && packet.username !== step.user) return refuse(connection, packet, 'bad-credentials', `the user name "${packet.username}" is not the one authenticated ("${step.user}")`);
      const admission = access.admitAuthenticated(step.user, clientId, connection.remote, packet.will?.topic);
      if (admission.refused !== undefined) return refuse(connection, packet, admission.refused, admission.message ?? 'refused');
      connection.authenticationMethod = method;
      return completeConnect(connection, packet, clientId, assigned, step.user, admission.permissions, { authenticationMethod: method, authenticationData: step.response });
    },
  };
  return authenticationStep(connection, packet.properties?.authenticationData);
}

/** The CONNECT of a client let in: its session, its will, and the CONNACK (with `authentication`'s properties after an exchange). */
async function completeConnect(connection: Connection, packet: ConnectPacket, clientId: string, assigned: boolean, username: string | undefined, permissions: MqttPermissions | undefined, authentication: Properties | undefined): Promise<void> {
  const broker = connection.broker;
  const limits = broker.config.limits;
  const v5 = packet.protocolLevel === ProtocolLevel.V5;
  const properties = packet.properties;
  connection.clientId = clientId;
  connection.clean = packet.clean;
  connection.username = username;
  connection.permissions = permissions;
  if (v5) {
    connection.receiveMaximum = properties?.receiveMaximum ?? TWO_BYTE_INTEGER_MAX;
    connection.maximumPacketSize = properties?.maximumPacketSize ?? Infinity;
    connection.topicAliasMaximum = properties?.topicAliasMaximum ?? 0;
    connection.problemInformation = properties?.requestProblemInformation !== 0;
  }

  // Session Expiry Interval: as asked (MQTT 5) or from clean session (3.1.1), capped.
  const asked = v5 ? (properties?.sessionExpiryInterval ?? 0) : (packet.clean ? 0 : SESSION_NEVER_EXPIRES);
  const expirySeconds = Math.min(asked, limits.maxSessionExpirySeconds);
  connection.connectSessionExpiry = expirySeconds;

  const session = await takeSession(connection, clientId, packet.clean, expirySeconds);
  if (connection.closed) return;
  const sessionPresent = session.sessionPresent;

  if (packet.will !== undefined) {
    const will = packet.will;
    const message = { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, publisherId: clientId, properties: forwardedProperties(will.properties) };
    if (message.properties === undefined) delete message.properties;
    connection.will = { message, delaySeconds: will.properties?.willDelayInterval ?? 0, expirySeconds: will.properties?.messageExpiryInterval };
    await broker.wills.put(clientId, connection.will);
    if (connection.closed) return;
  }

  // Keep alive: as asked, or the configured maximum where it is lower (MQTT 5 tells the client).
  let keepAliveSeconds = packet.keepAliveSeconds;
  let serverKeepAlive: number | undefined;
  if (v5 && limits.maxKeepAliveSeconds < TWO_BYTE_INTEGER_MAX && (keepAliveSeconds === 0 || keepAliveSeconds > limits.maxKeepAliveSeconds)) {
    keepAliveSeconds = limits.maxKeepAliveSeconds;
    serverKeepAlive = keepAliveSeconds;
  }
  connection.keepAliveMs = keepAliveSeconds * 1000;

  let connack: Properties | undefined;
  if (v5) {
    connack = { ...authentication };
    if (expirySeconds !== asked) connack.sessionExpiryInterval = expirySeconds;
    if (limits.maxInflightPerClient < TWO_BYTE_INTEGER_MAX) connack.receiveMaximum = limits.maxInflightPerClient;
    connack.maximumPacketSize = limits.maxPacketBytes;
    if (limits.maxTopicAliases > 0) connack.topicAliasMaximum = limits.maxTopicAliases;
    if (assigned) connack.assignedClientIdentifier = clientId;
    if (serverKeepAlive !== undefined) connack.serverKeepAlive = serverKeepAlive;
    const template = broker.config.responseInformation;
    if (properties?.requestResponseInformation === 1 && template !== '') connack.responseInformation = template.replaceAll('{clientId}', clientId);
  }
  connection.send(writeConnack(packet.protocolLevel, sessionPresent, ReasonCode.SUCCESS, connack));
  connection.connected = true;
  connection.connectedAtMs = Date.now();
  connection.inboundInflight = session.session.incoming?.size ?? 0;
  session.session.channel = connection;
  connection.session = session.session;
  // [MQTT-4.4.0-1] Unacknowledged messages are sent again, then the queue: in the next
  // turn, so that the CONNACK leaves in a write of its own.
  const resumed = session.session;
  setImmediate(() => {
    if (resumed.channel !== connection) return;
    if (sessionPresent) resumed.resend();
    else resumed.pump();
  });
}

/**
 * The session for a connecting client: an earlier connection with the same client id is
 * taken over [MQTT-3.1.4-3]; clean start discards the earlier session [MQTT-3.1.2-4],
 * otherwise it continues [MQTT-3.1.2-5]. A session that is to outlive the connection is
 * stored before the CONNACK.
 */
async function takeSession(connection: Connection, clientId: string, clean: boolean, expirySeconds: number): Promise<{ session: Session; sessionPresent: boolean }> {
  const broker = connection.broker;
  let session = broker.sessions.get(clientId);
  const previous = session?.channel as Connection | null | undefined;
  if (session !== undefined && previous !== null && previous !== undefined) {
    session.channel = null;
    previous.session = null;
    const will = previous.will;
    previous.will = undefined;
    if (will !== undefined) {
      // The session goes on, so a delayed will is not sent; one without delay (or a
      // session that ends now) is [MQTT-3.1.3-9].
      if (clean || will.delaySeconds === 0) broker.wills.lost(clientId, will, 0);
      else void broker.wills.discard(clientId);
    }
    broker.logger.info({ clientId, remote: connection.remote }, 'MQTT session taken over by a new connection');
    previous.disconnect(ReasonCode.SESSION_TAKEN_OVER);
  }
  if (session !== undefined && clean) {
    await broker.endSession(session);
    session = undefined;
  }
  const sessionPresent = session !== undefined;
  if (session === undefined) {
    session = broker.createSession(clientId, expirySeconds);
  } else {
    broker.wills.cancel(clientId);
    if (session.expiry !== undefined) session.expiry.cancelled = true;
    session.expiry = undefined;
    session.disconnectedAtMs = undefined;
  }
  session.expirySeconds = expirySeconds;
  const store = broker.store;
  if (expirySeconds > 0) {
    const writes: Array<Promise<void>> = [store.sessions.put(clientId, expirySeconds)];
    if (!session.stored) {
      session.stored = true;
      for (const subscription of session.subscriptions.values()) writes.push(store.subscriptions.put(clientId, subscription.filter, storedOptions(subscription)));
      writes.push(...session.storeHeld());
    }
    await Promise.all(writes);
  } else if (session.stored) {
    // A session continued with expiry 0 ends with this connection; it is no longer stored.
    session.stored = false;
    session.forgetStoredRows();
    await store.deleteSession(clientId);
  }
  return { session, sessionPresent };
}

export function storedOptions(subscription: { qos: number; noLocal: boolean; retainAsPublished: boolean; retainHandling: number; identifier?: number }): { qos: number; nl?: boolean; rap?: boolean; rh?: number; subscriptionIdentifier?: number } {
  const options: { qos: number; nl?: boolean; rap?: boolean; rh?: number; subscriptionIdentifier?: number } = { qos: subscription.qos };
  if (subscription.noLocal) options.nl = true;
  if (subscription.retainAsPublished) options.rap = true;
  if (subscription.retainHandling !== 0) options.rh = subscription.retainHandling;
  if (subscription.identifier !== undefined) options.subscriptionIdentifier = subscription.identifier;
  return options;
}
