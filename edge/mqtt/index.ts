// The MQTT front end of the edge broker (see README.md in this folder).
export { startMqttFrontEnd, type MqttFrontEnd, type MqttFrontEndOptions, type ListenAddress } from './front-end.ts';
export { MqttHeaders } from './ingest.ts';
export { murmur2, partitionForKey } from './partitioner.ts';
export type { MqttLogStore } from './log-adapter.ts';
