// A consumer group's lag on one partition, as `tributary groups describe` and the console
// both show it (and as Kafka's kafka-consumer-groups.sh does): the records between the
// group's committed offset and the log end; with nothing committed, the whole log.

export function partitionLag(logStartOffset: bigint, logEndOffset: bigint, committedOffset: bigint | undefined): bigint {
  const lag = logEndOffset - (committedOffset ?? logStartOffset);
  // A committed offset past the log end (a log truncated after a crash) leaves nothing to read.
  return lag < 0n ? 0n : lag;
}
