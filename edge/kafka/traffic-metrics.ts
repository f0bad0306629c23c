// Records that cross the Kafka listener: produced into the log and served by Fetch. The
// console's overview splits records per second in and out by protocol with them (MQTT has
// its own counters), and dashboards read the same counters. Counting reads only the batch
// headers (61 bytes each), never the records.
import { Counter, type Registry } from 'prom-client';
import type { FetchResponse } from '../../shared/kafka/apis/fetch.ts';
import type { ProduceRequest, ProduceResponse } from '../../shared/kafka/apis/produce.ts';
import { iterateBatchHeaders } from '../../shared/kafka/record-batch.ts';
import { ErrorCode } from '../../shared/kafka/protocol/error-codes.ts';

export class KafkaTrafficMetrics {
  readonly #produced: Counter;
  readonly #fetched: Counter;

  constructor(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    this.#produced = new Counter({ name: 'tributary_kafka_produced_records_total', help: 'Records appended through Kafka Produce requests (retried duplicates not counted)', registers });
    this.#fetched = new Counter({ name: 'tributary_kafka_fetched_records_total', help: 'Records in the batches served by Kafka Fetch responses (transaction markers not counted)', registers });
  }

  produced(request: ProduceRequest, response: ProduceResponse | undefined): void {
    let records = 0;
    request.topicData.forEach((topic, topicIndex) => topic.partitionData.forEach((partition, partitionIndex) => {
      // With acks=0 there is no response: the records were sent, and appended unless refused.
      const errorCode = response?.responses[topicIndex]?.partitionResponses[partitionIndex]?.errorCode ?? ErrorCode.NONE;
      if (errorCode === ErrorCode.NONE && partition.records !== null) records += recordsIn(partition.records);
    }));
    if (records > 0) this.#produced.inc(records);
  }

  fetched(response: FetchResponse): void {
    let records = 0;
    for (const topic of response.responses) for (const partition of topic.partitions) if (partition.records !== null) records += recordsIn(partition.records);
    if (records > 0) this.#fetched.inc(records);
  }
}

/** Records of whole batches; a fetch response may carry its batches as several buffers, each of whole batches. */
function recordsIn(batches: Buffer | readonly Buffer[]): number {
  let records = 0;
  for (const buffer of Buffer.isBuffer(batches) ? [batches] : batches) {
    for (const header of iterateBatchHeaders(buffer)) if (!header.isControlBatch) records += header.recordCount;
  }
  return records;
}
