// Every subscription of every session, connected or not, by topic filter: a trie with
// one path per filter level, so that matching a topic walks one path per level instead
// of scanning every filter. Shared subscriptions ($share/{name}/{filter}) sit at their
// filter's node as groups, each delivering a message to one member.
//
// Devices publish on the same topics over and over while subscriptions change rarely,
// so what a topic matched is remembered until the next subscription change.
import type { QoS } from '../packets/inbound.ts';
import { SHARED_PREFIX } from '../packets/inbound.ts';

/** The session side of a subscription: what the index needs to know of its owner. */
export interface Subscriber {
  readonly clientId: string;
}

export interface Subscription<S extends Subscriber = Subscriber> {
  session: S;
  /** As subscribed, with a $share/{name}/ prefix for a shared one. */
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  identifier?: number;
  /** The group of a shared subscription. */
  group?: SharedGroup<S>;
}

export interface SharedGroup<S extends Subscriber = Subscriber> {
  /** $share/{name}/{filter}: the key members subscribe with. */
  readonly key: string;
  readonly members: Array<Subscription<S>>;
  /** Round robin position. */
  next: number;
}

export interface Match<S extends Subscriber = Subscriber> {
  direct: Array<Subscription<S>>;
  groups: Array<SharedGroup<S>>;
}

interface TrieNode<S extends Subscriber> {
  children: Map<string, TrieNode<S>> | undefined;
  direct: Map<string, Subscription<S>> | undefined;
  groups: Map<string, SharedGroup<S>> | undefined;
}

/** Topics whose matches are remembered; past this many the memory starts afresh. */
const MATCH_CACHE_TOPICS_MAX = 10_000;

const EMPTY_MATCH: Match<never> = { direct: [], groups: [] };

/** Splits $share/{name}/{filter} into its name and filter; a plain filter has no name. */
export function parseSharedFilter(filter: string): { shareName: string | undefined; topicFilter: string } {
  if (!filter.startsWith(SHARED_PREFIX)) return { shareName: undefined, topicFilter: filter };
  const separator = filter.indexOf('/', SHARED_PREFIX.length);
  return { shareName: filter.slice(SHARED_PREFIX.length, separator), topicFilter: filter.slice(separator + 1) };
}

function newNode<S extends Subscriber>(): TrieNode<S> {
  return { children: undefined, direct: undefined, groups: undefined };
}

export class SubscriptionIndex<S extends Subscriber> {
  readonly #root: TrieNode<S> = newNode();
  readonly #cache = new Map<string, Match<S>>();
  #count = 0;

  /** Number of subscriptions held. */
  get size(): number {
    return this.#count;
  }

  #node(topicFilter: string, create: boolean): TrieNode<S> | undefined {
    let node = this.#root;
    for (const level of topicFilter.split('/')) {
      let child = node.children?.get(level);
      if (child === undefined) {
        if (!create) return undefined;
        child = newNode();
        (node.children ??= new Map()).set(level, child);
      }
      node = child;
    }
    return node;
  }

  /** Adds a subscription, replacing the session's earlier one to the same filter. */
  add(subscription: Subscription<S>): void {
    this.#cache.clear();
    const { shareName, topicFilter } = parseSharedFilter(subscription.filter);
    const node = this.#node(topicFilter, true)!;
    const clientId = subscription.session.clientId;
    if (shareName === undefined) {
      node.direct ??= new Map();
      if (!node.direct.has(clientId)) this.#count++;
      node.direct.set(clientId, subscription);
      return;
    }
    node.groups ??= new Map();
    let group = node.groups.get(shareName);
    if (group === undefined) {
      group = { key: subscription.filter, members: [], next: 0 };
      node.groups.set(shareName, group);
    }
    const index = group.members.findIndex((member) => member.session.clientId === clientId);
    if (index >= 0) group.members[index] = subscription;
    else {
      group.members.push(subscription);
      this.#count++;
    }
    subscription.group = group;
  }

  /** Removes the session's subscription to `filter`; returns whether there was one. */
  remove(filter: string, clientId: string): boolean {
    const { shareName, topicFilter } = parseSharedFilter(filter);
    const path: Array<[TrieNode<S>, string]> = [];
    let node = this.#root;
    for (const level of topicFilter.split('/')) {
      const child = node.children?.get(level);
      if (child === undefined) return false;
      path.push([node, level]);
      node = child;
    }
    let removed = false;
    if (shareName === undefined) {
      removed = node.direct?.delete(clientId) ?? false;
      if (node.direct?.size === 0) node.direct = undefined;
    } else {
      const group = node.groups?.get(shareName);
      const index = group?.members.findIndex((member) => member.session.clientId === clientId) ?? -1;
      if (group !== undefined && index >= 0) {
        group.members.splice(index, 1);
        removed = true;
        if (group.members.length === 0) node.groups!.delete(shareName);
        if (node.groups!.size === 0) node.groups = undefined;
      }
    }
    if (!removed) return false;
    this.#count--;
    this.#cache.clear();
    // Prune branches left empty.
    for (let index = path.length - 1; index >= 0; index--) {
      const [parent, level] = path[index]!;
      const child = parent.children!.get(level)!;
      if (child.direct !== undefined || child.groups !== undefined || child.children !== undefined) break;
      parent.children!.delete(level);
      if (parent.children!.size === 0) parent.children = undefined;
    }
    return true;
  }

  /**
   * The subscriptions whose filter matches `topic`. Filters starting with a wildcard do
   * not match topics starting with '$' [MQTT-4.7.2-1]; "a/#" matches "a" [MQTT-4.7.1-2].
   */
  match(topic: string): Match<S> {
    if (this.#count === 0) return EMPTY_MATCH;
    const cached = this.#cache.get(topic);
    if (cached !== undefined) return cached;
    const found: Match<S> = { direct: [], groups: [] };
    this.#collect(this.#root, topic.split('/'), 0, topic.charCodeAt(0) === 0x24, found);
    if (this.#cache.size >= MATCH_CACHE_TOPICS_MAX) this.#cache.clear();
    this.#cache.set(topic, found);
    return found;
  }

  #take(node: TrieNode<S> | undefined, found: Match<S>): void {
    if (node === undefined) return;
    if (node.direct !== undefined) for (const subscription of node.direct.values()) found.direct.push(subscription);
    if (node.groups !== undefined) for (const group of node.groups.values()) found.groups.push(group);
  }

  #collect(node: TrieNode<S>, levels: string[], index: number, dollarTopic: boolean, found: Match<S>): void {
    const children = node.children;
    if (index === levels.length) {
      this.#take(node, found);
      this.#take(children?.get('#'), found);
      return;
    }
    if (children === undefined) return;
    if (!(index === 0 && dollarTopic)) {
      this.#take(children.get('#'), found);
      const single = children.get('+');
      if (single !== undefined) this.#collect(single, levels, index + 1, dollarTopic, found);
    }
    const exact = children.get(levels[index]!);
    if (exact !== undefined) this.#collect(exact, levels, index + 1, dollarTopic, found);
  }
}
