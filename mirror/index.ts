// The mirror: edge topics to a central Kafka cluster exactly once, and central topics
// (commands) back into the edge log. See mirror.ts and partition-pump.ts.
export { Mirror, mirroredTopicSelector, type MirrorOptions } from './mirror.ts';
export { centralEndpoint } from './central-endpoint.ts';
export { startEmbeddedMirror, deliveredOffsetHook, type OffsetStore, type EmbeddedMirrorOptions } from './embedded.ts';
export { mirrorConfigured, mirrorRoute, type MirrorReport, type MirrorStatus } from './status-route.ts';
export { startStandaloneMirror, type StandaloneMirror } from './standalone.ts';
export { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../shared/heartbeat.ts';
export { SourceHeader, CentralHeader, readSourceCoordinates, readCentralCoordinates } from './source-headers.ts';
