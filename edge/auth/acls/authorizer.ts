// Who may do what: Kafka's StandardAuthorizer rules over the ACLs of acl-store.ts, for every
// protocol (a Kafka request and an MQTT publish ask the same question of the same ACLs).
//   1. A super user (kafka.authorization.superUsers) may do anything.
//   2. An ACL that denies the principal the operation on the resource wins over any allow.
//   3. An ACL that allows it (the operation itself, ALL, or one that implies it) allows it.
//   4. With no ACL on the resource at all, allowIfNoAclFound decides (Kafka's
//      allow.everyone.if.no.acl.found); any ACL on the resource means "not listed, denied".
// The settings live in one object replaced whole by configure(), so a reload swaps them at
// once between two requests.
import { TributaryError } from '../../../shared/errors.ts';
import { formatPrincipal, parsePrincipal, type Principal } from '../principal.ts';
import { AclStore } from './acl-store.ts';
import {
  bindingProblem, filterSelects, operationMatches, patternMatches, PermissionType, sameBinding, WILDCARD, WILDCARD_PRINCIPAL,
  type AclBinding, type AclBindingFilter,
} from './acl.ts';

export interface AuthorizationSettings {
  /** Principals (`User:name`) that every check allows. */
  superUsers: readonly string[];
  /** The answer for a resource no ACL names (Kafka's allow.everyone.if.no.acl.found). */
  allowIfNoAclFound: boolean;
}

/** One check: may `principal`, connected from `host`, do `operation` on this resource? */
export interface AccessRequest {
  principal: Principal;
  host: string;
  operation: number;
  resourceType: number;
  resourceName: string;
}

/** What creating one binding came to: undefined when stored, else why not. */
export type CreationOutcome = string | undefined;

export class Authorizer {
  readonly #store: AclStore;
  #settings: { superUsers: ReadonlySet<string>; allowIfNoAclFound: boolean };
  /** Changes run one at a time, each reading the ACLs the previous one left. */
  #changing: Promise<unknown> = Promise.resolve();

  private constructor(store: AclStore, settings: AuthorizationSettings) {
    this.#store = store;
    this.#settings = Authorizer.#checked(settings);
  }

  /** Opens the ACLs under `dataDir`. */
  static async open(dataDir: string, settings: AuthorizationSettings): Promise<Authorizer> {
    return new Authorizer(await AclStore.open(dataDir), settings);
  }

  static #checked(settings: AuthorizationSettings): { superUsers: ReadonlySet<string>; allowIfNoAclFound: boolean } {
    for (const [index, text] of settings.superUsers.entries()) {
      const principal = parsePrincipal(text);
      if (typeof principal === 'string') throw new TributaryError('AUTHORIZATION_CONFIG_INVALID', `kafka.authorization.superUsers[${index}]: ${principal}`, { key: `kafka.authorization.superUsers[${index}]` });
    }
    return { superUsers: new Set(settings.superUsers), allowIfNoAclFound: settings.allowIfNoAclFound };
  }

  /** Replaces the settings (super users, the default) at once, as a reload does; the ACLs stay. */
  configure(settings: AuthorizationSettings): void {
    this.#settings = Authorizer.#checked(settings);
  }

  get settings(): AuthorizationSettings {
    return { superUsers: [...this.#settings.superUsers], allowIfNoAclFound: this.#settings.allowIfNoAclFound };
  }

  get aclFile(): string {
    return this.#store.path;
  }

  /** Whether nothing can be refused: no ACL at all and unmatched requests allowed (a broker as it runs without ACLs). */
  get allowsEverything(): boolean {
    return this.#store.bindings.length === 0 && this.#settings.allowIfNoAclFound;
  }

  authorize(request: AccessRequest): boolean {
    const { superUsers, allowIfNoAclFound } = this.#settings;
    const principal = formatPrincipal(request.principal);
    if (superUsers.has(principal)) return true;
    let resourceHasAcls = false;
    let allowed = false;
    for (const binding of this.#store.bindings) {
      if (binding.resourceType !== request.resourceType || !patternMatches(binding, request.resourceName)) continue;
      resourceHasAcls = true;
      if (binding.principal !== principal && binding.principal !== WILDCARD_PRINCIPAL) continue;
      if (binding.host !== WILDCARD && binding.host !== request.host) continue;
      if (!operationMatches(binding, request.operation)) continue;
      if (binding.permissionType === PermissionType.DENY) return false;
      allowed = true;
    }
    return allowed || (!resourceHasAcls && allowIfNoAclFound);
  }

  /**
   * Whether the principal may do the operation on some resource of the type (Kafka's
   * authorizeByResourceType, KIP-679: an idempotent producer needs WRITE on some topic): an
   * ACL allows it and no wildcard ACL denies it, or no ACL of the type exists and the
   * default allows.
   */
  authorizeOnSomeResource(request: Omit<AccessRequest, 'resourceName'>): boolean {
    const principal = formatPrincipal(request.principal);
    if (this.#settings.superUsers.has(principal)) return true;
    const applies = (binding: AclBinding) => binding.resourceType === request.resourceType
      && (binding.principal === principal || binding.principal === WILDCARD_PRINCIPAL)
      && (binding.host === WILDCARD || binding.host === request.host)
      && operationMatches(binding, request.operation);
    const bindings = this.#store.bindings;
    if (bindings.some((binding) => applies(binding) && binding.permissionType === PermissionType.DENY && binding.resourceName === WILDCARD)) return false;
    if (bindings.some((binding) => applies(binding) && binding.permissionType === PermissionType.ALLOW)) return true;
    return this.#settings.allowIfNoAclFound && !bindings.some((binding) => binding.resourceType === request.resourceType);
  }

  describe(filter: AclBindingFilter): AclBinding[] {
    return this.#store.bindings.filter((binding) => filterSelects(filter, binding));
  }

  /** Stores the valid bindings (one already present is kept once) and says, per binding, why one was not. */
  create(bindings: readonly AclBinding[]): Promise<CreationOutcome[]> {
    return this.#change(async () => {
      const outcomes = bindings.map((binding) => bindingProblem(binding));
      const next = [...this.#store.bindings];
      for (const [index, binding] of bindings.entries()) {
        if (outcomes[index] === undefined && !next.some((existing) => sameBinding(existing, binding))) next.push({ ...binding });
      }
      if (next.length !== this.#store.bindings.length) await this.#store.replace(next);
      return outcomes;
    });
  }

  /** Removes what each filter selects, durably; returns the bindings each filter removed. */
  delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    return this.#change(async () => {
      const removed = filters.map((filter) => this.describe(filter));
      const gone = new Set(removed.flat());
      if (gone.size > 0) await this.#store.replace(this.#store.bindings.filter((binding) => !gone.has(binding)));
      return removed;
    });
  }

  #change<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#changing.then(change);
    this.#changing = result.catch(() => undefined);
    return result;
  }
}
