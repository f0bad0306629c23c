// Counts the bytes of Buffers allocated while one input runs, so that a decoder that lets
// a length field choose its allocation is caught even when it frees the memory again
// before returning. The public Buffer factories are counted (alloc, allocUnsafe,
// allocUnsafeSlow, concat, from): decoders call them, and so do Node.js's zlib and
// Buffer.concat's callers. Native addons (snappy, lz4) allocate in their own code and are
// bounded by the output limit they are given; the worker's heap limit bounds the rest.

let allocatedBytes = 0;
let installed = false;

type Factory = (...args: unknown[]) => Buffer;

function count(name: 'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'concat' | 'from', sizeOf: (args: unknown[]) => number): void {
  const original = Buffer[name] as unknown as Factory;
  (Buffer as unknown as Record<string, Factory>)[name] = function counted(...args: unknown[]): Buffer {
    allocatedBytes += sizeOf(args);
    return original.apply(Buffer, args);
  };
}

export function installAllocationCounter(): void {
  if (installed) return;
  installed = true;
  const size = (args: unknown[]): number => (typeof args[0] === 'number' && args[0] > 0 ? args[0] : 0);
  count('alloc', size);
  count('allocUnsafe', size);
  count('allocUnsafeSlow', size);
  count('concat', ([list, totalLength]) => (typeof totalLength === 'number' ? totalLength : (list as Uint8Array[]).reduce((sum, item) => sum + item.length, 0)));
  count('from', ([value, encodingOrOffset]) => {
    if (typeof value === 'string') return Buffer.byteLength(value, typeof encodingOrOffset === 'string' ? encodingOrOffset as BufferEncoding : 'utf8');
    // An ArrayBuffer is wrapped, not copied.
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return 0;
    return (value as { length?: number } | null)?.length ?? 0;
  });
}

/** Bytes allocated since the last call; resets the count. */
export function takeAllocatedBytes(): number {
  const bytes = allocatedBytes;
  allocatedBytes = 0;
  return bytes;
}
