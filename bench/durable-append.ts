// The durable-append baseline of the storage and Kafka benchmarks: the same bytes the broker
// made durable, appended sequentially to one plain file with one fdatasync per the same
// number of bytes as the broker's group commit wrote between syncs. It is what the file
// system and the device allow at that sync cadence, with no broker in the way.
import fs from 'node:fs';

function write(fd: number, buffer: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => fs.write(fd, buffer, 0, buffer.length, position, (error) => (error ? reject(error) : resolve())));
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Appends `totalBytes` to a new file at `path` in chunks of `bytesPerSync`, fdatasync after each; the file is left for the caller. */
export async function appendDurably(path: string, totalBytes: number, bytesPerSync: number): Promise<{ seconds: number; syncs: number }> {
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.alloc(bytesPerSync, 0x62);
  const started = process.hrtime.bigint();
  let syncs = 0;
  try {
    for (let position = 0; position < totalBytes; position += bytesPerSync) {
      const length = Math.min(bytesPerSync, totalBytes - position);
      await write(fd, length === chunk.length ? chunk : chunk.subarray(0, length), position);
      await fdatasync(fd);
      syncs += 1;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, syncs };
}
