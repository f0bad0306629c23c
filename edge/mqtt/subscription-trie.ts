// The in-memory index of QoS 1/2 subscriptions of persistent sessions, by topic filter.
// aedes asks it for the subscribers of every QoS 1/2 publish (subscriptionsByTopic),
// so a lookup walks one trie path per topic level instead of scanning every filter.

export interface SubscriptionOptions {
  qos: number;
  /** MQTT 5 retain handling, retain-as-published and no-local; kept as aedes hands them over. */
  rh?: number;
  rap?: boolean;
  nl?: boolean;
}

export interface MatchedSubscription extends SubscriptionOptions {
  clientId: string;
  topic: string;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Subscriptions whose filter ends at this node, by client id. */
  subscriptions: Map<string, MatchedSubscription>;
}

function newNode(): TrieNode {
  return { children: new Map(), subscriptions: new Map() };
}

export class SubscriptionTrie {
  readonly #root = newNode();
  #count = 0;

  /** Number of subscriptions held. */
  get size(): number {
    return this.#count;
  }

  /** Adds or replaces the subscription of `clientId` to `filter`. */
  add(filter: string, clientId: string, options: SubscriptionOptions): void {
    let node = this.#root;
    for (const level of filter.split('/')) {
      let child = node.children.get(level);
      if (child === undefined) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    if (!node.subscriptions.has(clientId)) this.#count++;
    const entry: MatchedSubscription = { clientId, topic: filter, qos: options.qos };
    if (options.rh !== undefined) entry.rh = options.rh;
    if (options.rap !== undefined) entry.rap = options.rap;
    if (options.nl !== undefined) entry.nl = options.nl;
    node.subscriptions.set(clientId, entry);
  }

  /** Removes the subscription of `clientId` to `filter`, pruning empty branches. */
  remove(filter: string, clientId: string): boolean {
    const path: Array<[TrieNode, string]> = [];
    let node = this.#root;
    for (const level of filter.split('/')) {
      const child = node.children.get(level);
      if (child === undefined) return false;
      path.push([node, level]);
      node = child;
    }
    if (!node.subscriptions.delete(clientId)) return false;
    this.#count--;
    for (let index = path.length - 1; index >= 0; index--) {
      const [parent, level] = path[index]!;
      const child = parent.children.get(level)!;
      if (child.subscriptions.size > 0 || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return true;
  }

  /**
   * The subscriptions whose filter matches `topic`. Filters starting with a wildcard do
   * not match topics starting with '$' [MQTT-4.7.2-1]; "a/#" matches "a" [MQTT-4.7.1-2].
   */
  match(topic: string): MatchedSubscription[] {
    const levels = topic.split('/');
    const found: MatchedSubscription[] = [];
    this.#collect(this.#root, levels, 0, topic.charCodeAt(0) === 0x24, found);
    return found;
  }

  #collect(node: TrieNode, levels: string[], index: number, dollarTopic: boolean, found: MatchedSubscription[]): void {
    if (index === levels.length) {
      const multiLevel = node.children.get('#');
      if (multiLevel !== undefined) for (const entry of multiLevel.subscriptions.values()) found.push(entry);
      for (const entry of node.subscriptions.values()) found.push(entry);
      return;
    }
    const wildcardsAllowed = !(index === 0 && dollarTopic);
    if (wildcardsAllowed) {
      const multiLevel = node.children.get('#');
      if (multiLevel !== undefined) for (const entry of multiLevel.subscriptions.values()) found.push(entry);
      const singleLevel = node.children.get('+');
      if (singleLevel !== undefined) this.#collect(singleLevel, levels, index + 1, dollarTopic, found);
    }
    const exact = node.children.get(levels[index]!);
    if (exact !== undefined) this.#collect(exact, levels, index + 1, dollarTopic, found);
  }
}
