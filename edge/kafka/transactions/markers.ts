// Writing a transaction's outcome into its partitions (KIP-98): one control batch per
// partition, through the same write path as produced batches, so that the marker takes its
// offset in order with them and is durable before the transaction is called complete.
import { isTributaryError } from '../../../shared/errors.ts';
import type { TransactionMarker } from '../../../shared/kafka/control-batch.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { LogStore } from '../../storage/index.ts';

/** Single node: the coordinator never moves, so its epoch in every marker is 0. */
export const COORDINATOR_EPOCH = 0;

export interface MarkerTarget {
  producerId: bigint;
  producerEpoch: number;
  marker: TransactionMarker;
  partitions: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * Writes the marker into every partition, all at once, and resolves once each is durable.
 * A partition whose topic was deleted meanwhile has nothing left to mark. Any other failure
 * (a full disk, an I/O error) rejects; the caller tries again, since a marker written twice
 * ends nothing twice: the second finds no transaction open.
 */
export async function writeMarkers(store: LogStore, target: MarkerTarget, logger: Logger): Promise<void> {
  const writes: Promise<void>[] = [];
  for (const [topic, partitions] of target.partitions) {
    for (const partition of partitions) {
      writes.push((async () => {
        try {
          await store.partition(topic, partition).appendMarker({ producerId: target.producerId, producerEpoch: target.producerEpoch, marker: target.marker, coordinatorEpoch: COORDINATOR_EPOCH });
        } catch (error) {
          if (isTributaryError(error, 'TOPIC_NOT_FOUND') || isTributaryError(error, 'PARTITION_NOT_FOUND')) {
            logger.info({ topic, partition, producerId: target.producerId.toString() }, 'a transaction marker found its topic deleted');
            return;
          }
          throw error;
        }
      })());
    }
  }
  const results = await Promise.allSettled(writes);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
