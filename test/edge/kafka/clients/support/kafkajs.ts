// kafkajs as the tests use it: the package (CommonJS, so reached through its default
// export), quiet logging, and snappy, lz4 and zstd codecs registered from the project's
// own compression module (kafkajs ships gzip only and expects plug-in codecs for the rest).
import kafkajs from 'kafkajs';
import '../../../../helpers/kafkajs-request-queue.ts';
import type { KafkaConfig } from 'kafkajs';
import type { CompressionCodec } from '../../../../../shared/kafka/compression/codec.ts';
import { lz4Codec } from '../../../../../shared/kafka/compression/lz4.ts';
import { snappyCodec } from '../../../../../shared/kafka/compression/snappy.ts';
import { zstdCodec } from '../../../../../shared/kafka/compression/zlib-codecs.ts';

export const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
export type { Consumer, EachMessagePayload, Kafka as KafkaClient, Producer } from 'kafkajs';

/** kafkajs's codec contract: compress gets its Encoder (whose `buffer` holds the records), decompress a Buffer. */
function pluginOf(codec: CompressionCodec): () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(data: Buffer): Promise<Buffer> } {
  return () => ({
    compress: async (encoder) => codec.compress(encoder.buffer),
    decompress: async (data) => codec.decompress(data),
  });
}

CompressionCodecs[CompressionTypes.Snappy] = pluginOf(snappyCodec);
CompressionCodecs[CompressionTypes.LZ4] = pluginOf(lz4Codec);
CompressionCodecs[CompressionTypes.ZSTD] = pluginOf(zstdCodec);

/** Every codec kafkajs can now use, by name. */
export const KAFKAJS_CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

/** A kafkajs client of a test broker: short retries, no log noise unless KAFKAJS_LOG is set. */
export function kafkajsClient(port: number, clientId: string, extra: Partial<KafkaConfig> = {}): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${port}`],
    logLevel: process.env.KAFKAJS_LOG ? logLevel.DEBUG : logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 10 },
    ...extra,
  });
}
