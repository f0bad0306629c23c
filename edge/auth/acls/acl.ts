// Access control entries as Kafka defines them (KIP-140, prefixed patterns KIP-290): a
// resource pattern (type, name, literal or prefixed), a principal, a host, an operation and
// allow or deny. The codes are Kafka's (ResourceType, PatternType, AclOperation,
// AclPermissionType in org.apache.kafka.common), so bindings cross the wire unchanged.
// How an ACL matches a request and how a filter selects ACLs (DescribeAcls, DeleteAcls)
// are here; who is allowed what is decided in authorizer.ts.
import { parsePrincipal } from '../principal.ts';

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8,
  CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15,
} as const;
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one cluster resource's name, as Kafka's CLUSTER_NAME. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** An ACL's name, principal or host that matches every resource, user or host. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** Resource types an ACL can be granted on here (delegation tokens and users are not served). */
export type AclResourceType = typeof ResourceType.TOPIC | typeof ResourceType.GROUP | typeof ResourceType.CLUSTER | typeof ResourceType.TRANSACTIONAL_ID;
export type ConcreteOperation = Exclude<(typeof AclOperation)[keyof typeof AclOperation], 0 | 1>;

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  /** `User:name` or `User:*`. */
  principal: string;
  /** A client's IP address, or `*`. */
  host: string;
  operation: number;
  permissionType: number;
}

/** What DescribeAcls and DeleteAcls select by; null matches anything. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Operations an ALLOW of another implies (Kafka's AclEntry): who may read, write, delete or alter a resource may see it. */
const IMPLIED_BY: Partial<Record<number, readonly number[]>> = {
  [AclOperation.DESCRIBE]: [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER],
  [AclOperation.DESCRIBE_CONFIGS]: [AclOperation.ALTER_CONFIGS],
};

const codeName = (table: Record<string, number>, code: number) => Object.entries(table).find(([, value]) => value === code)?.[0] ?? `code ${code}`;
export const resourceTypeName = (code: number) => codeName(ResourceType, code);
export const operationName = (code: number) => codeName(AclOperation, code);

/** `::ffff:10.0.0.5` is how Node names an IPv4 client on a dual-stack socket; ACLs name it 10.0.0.5, as Kafka does. */
export function aclHost(remoteAddress: string): string {
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice('::ffff:'.length) : remoteAddress;
}

/** Whether the binding's pattern covers this resource name (wildcard, equal, or a prefix of it). */
export function patternMatches(binding: Pick<AclBinding, 'patternType' | 'resourceName'>, name: string): boolean {
  if (binding.patternType === PatternType.PREFIXED) return name.startsWith(binding.resourceName);
  return binding.resourceName === WILDCARD || binding.resourceName === name;
}

/** Whether an ACL's operation covers the one asked for: the same, ALL, or (for ALLOW) one that implies it. */
export function operationMatches(binding: Pick<AclBinding, 'operation' | 'permissionType'>, operation: number): boolean {
  if (binding.operation === AclOperation.ALL || binding.operation === operation) return true;
  return binding.permissionType === PermissionType.ALLOW && (IMPLIED_BY[operation]?.includes(binding.operation) ?? false);
}

/** Whether a DescribeAcls or DeleteAcls filter selects this binding (Kafka's AclBindingFilter.matches). */
export function filterSelects(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== binding.resourceType) return false;
  if (!filterSelectsPattern(filter, binding)) return false;
  if (filter.principal !== null && filter.principal !== binding.principal) return false;
  if (filter.host !== null && filter.host !== binding.host) return false;
  if (filter.operation !== AclOperation.ANY && filter.operation !== binding.operation) return false;
  return filter.permissionType === PermissionType.ANY || filter.permissionType === binding.permissionType;
}

function filterSelectsPattern(filter: AclBindingFilter, binding: AclBinding): boolean {
  switch (filter.patternType) {
    case PatternType.ANY: return filter.resourceName === null || filter.resourceName === binding.resourceName;
    // MATCH: every ACL that would apply to the named resource.
    case PatternType.MATCH: return filter.resourceName === null || patternMatches(binding, filter.resourceName);
    default: return filter.patternType === binding.patternType && (filter.resourceName === null || filter.resourceName === binding.resourceName);
  }
}

/** Why a filter cannot select anything, or undefined when it is well formed (Kafka answers INVALID_REQUEST). */
export function filterProblem(filter: AclBindingFilter): string | undefined {
  if (filter.resourceType === ResourceType.UNKNOWN || !Object.values(ResourceType).includes(filter.resourceType as never)) return `resource type ${filter.resourceType} is not one Kafka defines`;
  if (filter.patternType === PatternType.UNKNOWN || !Object.values(PatternType).includes(filter.patternType as never)) return `pattern type ${filter.patternType} is not one Kafka defines`;
  if (filter.operation === AclOperation.UNKNOWN || !Object.values(AclOperation).includes(filter.operation as never)) return `operation ${filter.operation} is not one Kafka defines`;
  if (filter.permissionType === PermissionType.UNKNOWN || !Object.values(PermissionType).includes(filter.permissionType as never)) return `permission type ${filter.permissionType} is not one Kafka defines`;
  return undefined;
}

/** Why this binding cannot be stored, or undefined when it can (Kafka's AclControlManager.validateNewAcl). */
export function bindingProblem(binding: AclBinding): string | undefined {
  const resourceTypes: readonly number[] = [ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID];
  if (!resourceTypes.includes(binding.resourceType)) return `resource type ${resourceTypeName(binding.resourceType)} cannot carry ACLs here (TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID can)`;
  if (binding.patternType !== PatternType.LITERAL && binding.patternType !== PatternType.PREFIXED) return `pattern type ${binding.patternType} is neither LITERAL (3) nor PREFIXED (4)`;
  if (binding.resourceName.length === 0) return 'the resource name is empty';
  if (binding.resourceType === ResourceType.CLUSTER && (binding.resourceName !== CLUSTER_RESOURCE_NAME || binding.patternType !== PatternType.LITERAL)) return `the cluster resource is the literal name ${CLUSTER_RESOURCE_NAME}, not "${binding.resourceName}"`;
  if (binding.operation < AclOperation.ALL || binding.operation > AclOperation.TWO_PHASE_COMMIT) return `operation ${binding.operation} is not one an ACL can name`;
  if (binding.permissionType !== PermissionType.ALLOW && binding.permissionType !== PermissionType.DENY) return `permission type ${binding.permissionType} is neither DENY (2) nor ALLOW (3)`;
  const principal = parsePrincipal(binding.principal);
  if (typeof principal === 'string') return principal;
  if (binding.host.length === 0) return 'the host is empty (use * for any host)';
  return undefined;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType
    && a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;
}
