// Sparkplug B topic names (Sparkplug 3.0.0, 4.1 "Topic Namespace Elements"):
//   spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]
//   spBv1.0/STATE/<host_id>                       (a host application's state, JSON)
export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export const NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;
export type MessageType = (typeof NODE_MESSAGE_TYPES)[number] | (typeof DEVICE_MESSAGE_TYPES)[number];

export type SparkplugTopic =
  | { kind: 'edge'; group: string; messageType: MessageType; edgeNode: string; device?: string }
  | { kind: 'state'; hostId: string };

/** The parts of a Sparkplug B topic, or undefined for any other topic (or a malformed one). */
export function parseSparkplugTopic(topic: string): SparkplugTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== SPARKPLUG_NAMESPACE) return undefined;
  if (levels[1] === 'STATE' && levels.length === 3) return { kind: 'state', hostId: levels[2]! };
  const [, group, messageType, edgeNode, device] = levels;
  if (group === undefined || edgeNode === undefined || group === '' || edgeNode === '') return undefined;
  if ((NODE_MESSAGE_TYPES as readonly string[]).includes(messageType!) && levels.length === 4) return { kind: 'edge', group, messageType: messageType as MessageType, edgeNode };
  if ((DEVICE_MESSAGE_TYPES as readonly string[]).includes(messageType!) && levels.length === 5 && device !== '') return { kind: 'edge', group, messageType: messageType as MessageType, edgeNode, device };
  return undefined;
}
