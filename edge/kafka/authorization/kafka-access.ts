// One Kafka request's view of the authorizer: who sent it (the connection's principal), from
// where (its IP address, which ACLs may name), and which API, so every denial is counted
// and logged with the principal, the API, the operation and the resource. The checks of
// each API (api-checks.ts) ask through this.
import type { Counter } from 'prom-client';
import { RepeatedWarnings } from '../../../shared/log-rate-limit.ts';
import type { Authorizer } from '../../auth/acls/authorizer.ts';
import { aclHost, operationName, resourceTypeName, CLUSTER_RESOURCE_NAME, ResourceType } from '../../auth/acls/acl.ts';
import { formatPrincipal, type Principal } from '../../auth/principal.ts';
import { CLUSTER_ACL_OPERATIONS } from '../authorized-operations.ts';

/** Where denials go: a counter by API, resource type and operation, and a rate-limited warning. */
export interface DenialRecorder {
  readonly counter: Counter<'api' | 'resource_type' | 'operation'>;
  readonly warnings: RepeatedWarnings;
}

export class KafkaAccess {
  readonly #authorizer: Authorizer;
  readonly principal: Principal;
  readonly #host: string;
  readonly #api: string;
  readonly #denials: DenialRecorder;

  constructor(authorizer: Authorizer, principal: Principal, remoteAddress: string, api: string, denials: DenialRecorder) {
    this.#authorizer = authorizer;
    this.principal = principal;
    this.#host = aclHost(remoteAddress);
    this.#api = api;
    this.#denials = denials;
  }

  /** Whether nothing can be refused, so a request needs no checking at all. */
  get allowsEverything(): boolean {
    return this.#authorizer.allowsEverything;
  }

  /** May the principal do this? A denial is counted and logged. */
  may(operation: number, resourceType: number, resourceName: string): boolean {
    const allowed = this.allows(operation, resourceType, resourceName);
    if (!allowed) this.#denied(operation, resourceType, resourceName);
    return allowed;
  }

  /**
   * May the principal do this? Not recorded: for what a request does not ask to be done,
   * such as topics left out of a listing or the operations KIP-430 reports, as Kafka
   * leaves those out of its authorizer log.
   */
  allows(operation: number, resourceType: number, resourceName: string): boolean {
    return this.#authorizer.authorize({ principal: this.principal, host: this.#host, operation, resourceType, resourceName });
  }

  mayOnCluster(operation: number): boolean {
    return this.may(operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
  }

  /** KIP-679: may the principal do `operation` on some resource of the type (WRITE on some topic lets a producer be idempotent)? */
  mayOnSomeResource(operation: number, resourceType: number): boolean {
    const allowed = this.#authorizer.authorizeOnSomeResource({ principal: this.principal, host: this.#host, operation, resourceType });
    if (!allowed) this.#denied(operation, resourceType, '(any)');
    return allowed;
  }

  /** The KIP-430 bit field: which of `operations` the principal may do on the resource. */
  operationBits(resourceType: number, resourceName: string, operations: readonly number[]): number {
    return operations.reduce((bits, operation) => (this.allows(operation, resourceType, resourceName) ? bits | (1 << operation) : bits), 0);
  }

  /** The KIP-430 bit field of the cluster. */
  clusterOperationBits(): number {
    return this.operationBits(ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, CLUSTER_ACL_OPERATIONS);
  }

  #denied(operation: number, resourceType: number, resourceName: string): void {
    const type = resourceTypeName(resourceType);
    const name = operationName(operation);
    this.#denials.counter.inc({ api: this.#api, resource_type: type, operation: name });
    const principal = formatPrincipal(this.principal);
    this.#denials.warnings.warn(`${principal} ${this.#api} ${name} ${type}:${resourceName}`, { principal, host: this.#host, api: this.#api, operation: name, resourceType: type, resourceName }, `Kafka request denied: ${principal} may not ${name} ${type} "${resourceName}"`);
  }
}
