// The UTF-8 bytes of strings the broker sends or stores over and over (client ids, MQTT
// topics): encoded once and kept, so that a device publishing on the same topic all day
// costs one encoding, not one per message.

export class Utf8Cache {
  readonly #entries = new Map<string, Buffer>();
  readonly #entriesMax: number;

  /** `entriesMax` bounds its memory; past it the cache starts afresh (cheaper than tracking use for strings this short). */
  constructor(entriesMax: number) {
    this.#entriesMax = entriesMax;
  }

  bytes(text: string): Buffer {
    let bytes = this.#entries.get(text);
    if (bytes === undefined) {
      bytes = Buffer.from(text, 'utf8');
      if (this.#entries.size >= this.#entriesMax) this.#entries.clear();
      this.#entries.set(text, bytes);
    }
    return bytes;
  }
}
