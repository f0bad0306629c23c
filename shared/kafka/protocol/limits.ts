// Limits the codec enforces on every length it reads from the wire. Each is checked before
// anything is allocated, alongside the check against the bytes that remain in the frame.

/**
 * Largest request or response frame, without its 4-byte length prefix. Kafka's default
 * `socket.request.max.bytes` is 100 MiB; a frame can never carry a bytes or records field
 * longer than itself.
 */
export const FRAME_BYTES_MAX = 100 * 1024 * 1024;

/**
 * Longest string. Classic encodings prefix strings with an int16 length, and Java brokers
 * refuse longer compact strings too, so no client sends more.
 */
export const STRING_BYTES_MAX = 0x7fff;

/** Longest `bytes` or `records` field: bounded by the frame that holds it. */
export const BYTES_MAX = FRAME_BYTES_MAX;

/**
 * Most entries in one array. Far more than any request we serve carries (a Metadata or Fetch
 * request for every partition of a large cluster is in the tens of thousands), and it caps the
 * allocation an array length can cause independently of the frame size.
 */
export const ARRAY_LENGTH_MAX = 1 << 20;

/**
 * Most tagged fields in one tagged-field section. No schema defines more than a handful of
 * tags; the bound keeps a hostile section from driving a long skip loop.
 */
export const TAGGED_FIELD_COUNT_MAX = 1024;
