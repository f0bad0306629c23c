// What checking a request against the ACLs comes to, and the small steps every API's check
// is made of. A check either answers the whole request itself (its one resource was
// denied), or passes on the request with the denied parts taken out and puts them back
// into the handler's response with their error code, as Kafka's KafkaApis does.
import type { RequestBody, ResponseBody, ServedApiKey } from '../../../shared/kafka/apis/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { KafkaAccess } from './kafka-access.ts';

export type Checked<Key extends ServedApiKey> =
  | { readonly answer: ResponseBody<Key> }
  | { readonly body: RequestBody<Key>; readonly complete?: (response: ResponseBody<Key>) => ResponseBody<Key> };

export type Check<Key extends ServedApiKey> = (body: RequestBody<Key>, access: KafkaAccess, context: BrokerContext, apiVersion: number) => Checked<Key> | Promise<Checked<Key>>;

/** Every served API's check: a new API without one fails type checking. */
export type ApiChecks = { readonly [Key in ServedApiKey]: Check<Key> };

/** Splits items by whether `allowed` holds for each, keeping their order. */
export function split<T>(items: readonly T[], allowed: (item: T) => boolean): { allowed: T[]; denied: T[] } {
  const result = { allowed: [] as T[], denied: [] as T[] };
  for (const item of items) (allowed(item) ? result.allowed : result.denied).push(item);
  return result;
}

/** A topic's name from a request that may name it by id only (Fetch v13+, DeleteTopics v6, Metadata v10+). */
export function topicNameOf(context: BrokerContext, name: string | null, topicId: string): string | undefined {
  if (name !== null && name !== '') return name;
  return context.store.listTopics().find((topic) => topic.id === topicId)?.name;
}

/** The request without its denied items, their refusals appended to the response's list under `key`. */
export function withRefusals<Body, Response>(body: Body, denied: readonly unknown[], key: string, refusals: () => unknown[]): { body: Body; complete?: (response: Response) => Response } {
  if (denied.length === 0) return { body };
  return {
    body,
    complete: (response) => {
      const list = (response as Record<string, unknown[]>)[key] ?? [];
      return { ...response, [key]: [...list, ...refusals()] };
    },
  };
}
