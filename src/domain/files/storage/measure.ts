import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/**
 * Counts bytes, hashes them and shows them to `observe` as they pass: one stream stage for all
 * three, since every stage a chunk crosses costs CPU per chunk (bench/RESULTS.md, uploads).
 * Every store puts through it, so size, SHA-256 and the sniffed head are measured alike.
 */
export class Measure extends Transform {
  /** Bytes so far (not `size`: lib-storage takes a body's `size` for its length, and this one is not known ahead). */
  bytes = 0;
  readonly hash = createHash('sha256');
  constructor(private readonly observe?: (chunk: Buffer, sizeSoFar: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    try {
      this.observe?.(chunk, this.bytes);
    } catch (error) {
      return done(error as Error);
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}
