// DescribeLogDirs: the one log directory of this node (node.dataDir's log folder), the size
// of each partition's segments in it, and (v4+) the size and free space of its file system,
// so that kafka-log-dirs and AdminClient.describeLogDirs show what the device holds. Nothing
// is replicated, so no partition lags, and none is being moved between directories.
import { statfs } from 'node:fs/promises';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../../shared/kafka/apis/describe-log-dirs.ts';
import { ErrorCode } from '../../../shared/kafka/protocol/error-codes.ts';
import type { BrokerContext } from '../broker-context.ts';

type DirectoryTopic = DescribeLogDirsResponse['results'][number]['topics'][number];

export async function handleDescribeLogDirs(context: BrokerContext, request: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
  const wanted = request.topics === null
    ? context.store.listTopics().map((topic) => ({ topic: topic.name, partitions: Array.from({ length: topic.partitions }, (_unused, index) => index) }))
    : request.topics;
  const topics: DirectoryTopic[] = [];
  for (const { topic: name, partitions } of wanted) {
    const topic = context.store.describeTopic(name);
    // Partitions this node does not hold are left out, as Kafka leaves them out.
    const held = partitions.filter((index) => topic !== undefined && index >= 0 && index < topic.partitions);
    if (held.length === 0) continue;
    topics.push({
      name,
      partitions: held.map((partitionIndex) => ({
        partitionIndex,
        partitionSize: BigInt(context.store.partition(name, partitionIndex).segments.reduce((bytes, segment) => bytes + segment.sizeBytes, 0)),
        offsetLag: 0n,
        isFutureKey: false,
      })),
    });
  }
  const space = await fileSystemSpace(context.store.logDirectory);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [{ errorCode: ErrorCode.NONE, logDir: context.store.logDirectory, topics, ...space, isCordoned: false }],
  };
}

/** The file system's size and the bytes left for this process, or -1 (Kafka's "unknown") when they cannot be read. */
async function fileSystemSpace(directory: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const stats = await statfs(directory, { bigint: true });
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}
