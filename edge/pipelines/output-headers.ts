// Every output record says where it comes from, in headers with decimal ASCII values
// (kcat -f '%h' shows them as they are):
//   tributary.pipeline            the pipeline's name
//   tributary.pipeline.partition  the input partition
//   tributary.pipeline.offset     the input offset that produced it (for a window's result,
//                                 the record whose event time closed the window)
//   tributary.pipeline.sequence   its number among the outputs of that pipeline and partition
// The sequence is how a pipeline restarting after a crash recognises the outputs it had
// already written (partition-task.ts). The names differ from the mirror's coordinate
// headers (tributary.topic, …), so a mirrored output carries both.
import type { DecodedRecordHeader, RecordHeaderInput } from '../../shared/kafka/record-batch.ts';

export const OUTPUT_HEADERS = {
  pipeline: 'tributary.pipeline',
  partition: 'tributary.pipeline.partition',
  offset: 'tributary.pipeline.offset',
  sequence: 'tributary.pipeline.sequence',
  /** About what the four headers add to a record, names and values: for output buffer accounting. */
  bytes: 110,
} as const;

export interface OutputCoordinates {
  pipeline: string;
  partition: number;
  offset: bigint;
  sequence: bigint;
}

const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

export function outputHeaders(pipeline: string, partition: number, offset: bigint, sequence: bigint): RecordHeaderInput[] {
  return [
    { key: OUTPUT_HEADERS.pipeline, value: pipeline },
    { key: OUTPUT_HEADERS.partition, value: String(partition) },
    { key: OUTPUT_HEADERS.offset, value: offset.toString() },
    { key: OUTPUT_HEADERS.sequence, value: sequence.toString() },
  ];
}

/** The coordinates of a pipeline output, or undefined for a record another writer made. */
export function readOutputHeaders(headers: readonly DecodedRecordHeader[]): OutputCoordinates | undefined {
  let pipeline: string | undefined;
  let partition: string | undefined;
  let offset: string | undefined;
  let sequence: string | undefined;
  for (const header of headers) {
    if (header.value === null) continue;
    switch (header.key) {
      case OUTPUT_HEADERS.pipeline: pipeline = header.value.toString('utf8'); break;
      case OUTPUT_HEADERS.partition: partition = header.value.toString('latin1'); break;
      case OUTPUT_HEADERS.offset: offset = header.value.toString('latin1'); break;
      case OUTPUT_HEADERS.sequence: sequence = header.value.toString('latin1'); break;
    }
  }
  if (pipeline === undefined || partition === undefined || offset === undefined || sequence === undefined) return undefined;
  if (!DECIMAL_PATTERN.test(partition) || !DECIMAL_PATTERN.test(offset) || !DECIMAL_PATTERN.test(sequence)) return undefined;
  return { pipeline, partition: Number(partition), offset: BigInt(offset), sequence: BigInt(sequence) };
}
