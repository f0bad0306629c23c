// Counts the bytes of Buffers allocated while one input runs, so that a decoder that lets
// a length field choose its allocation is caught even when it frees the memory again
// before returning. Node.js's own Buffer.concat and zlib allocate through these functions
// too; native addons (snappy, lz4) allocate in their own code and bound it by the output
// limit they are given.

let allocatedBytes = 0;
let installed = false;

export function installAllocationCounter(): void {
  if (installed) return;
  installed = true;
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[name] = function counted(size: number, ...rest: unknown[]): Buffer {
      if (typeof size === 'number' && size > 0) allocatedBytes += size;
      return original.call(Buffer, size, ...rest);
    };
  }
}

/** Bytes allocated since the last call; resets the count. */
export function takeAllocatedBytes(): number {
  const bytes = allocatedBytes;
  allocatedBytes = 0;
  return bytes;
}
