// The consumer-group coordinator: what the Kafka server's group handlers call.
export { GroupCoordinator, GROUPS_DATABASE_PATH } from './coordinator.ts';
export type { GroupCoordinatorEvents, GroupCoordinatorOptions, MemberRemovalReason } from './coordinator.ts';
export { DEFAULT_GROUP_COORDINATOR_CONFIG, resolveGroupCoordinatorConfig } from './config.ts';
export type { GroupCoordinatorConfig } from './config.ts';
export { KafkaErrorCode } from './error-codes.ts';
export type { KafkaErrorCodeName } from './error-codes.ts';
export { GroupStates } from './group.ts';
export type { GroupState } from './group.ts';
export type * from './types.ts';
