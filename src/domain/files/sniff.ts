import { fileTypeFromBuffer } from 'file-type';

/** How much of the start of a file the sniffer sees: enough for every format file-type detects from a head. */
export const sniffBytes = 64 * 1024;

export interface SniffedType {
  mime: string;
  ext: string;
}

/** Keeps the first `sniffBytes` of the chunks it is shown, for sniffing once the file is stored. */
export class HeadCapture {
  private chunks: Buffer[] = [];
  private length = 0;
  add(chunk: Buffer) {
    if (this.length < sniffBytes) {
      const part = chunk.subarray(0, sniffBytes - this.length);
      this.chunks.push(part);
      this.length += part.length;
    }
  }
  get head(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const markdownLine = /^(#{1,6} \S|[-*+] \S|\d+\. \S|> |```|\|.*\|\s*$)|\[[^\]]+\]\([^)]+\)|\*\*\S/m;

/**
 * The file's real type from its bytes; the client's name and Content-Type are never consulted.
 * Binary formats by their magic numbers (file-type). Text has none: a head that is valid UTF-8
 * without control characters is text, Markdown when it uses Markdown's block or link syntax,
 * plain text otherwise. Anything else is application/octet-stream.
 */
export async function sniffType(head: Buffer): Promise<SniffedType> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return { mime: detected.mime, ext: detected.ext };
  if (isText(head)) return markdownLine.test(head.toString('utf8')) ? { mime: 'text/markdown', ext: 'md' } : { mime: 'text/plain', ext: 'txt' };
  return { mime: 'application/octet-stream', ext: 'bin' };
}

function isText(head: Buffer): boolean {
  if (head.length === 0) return false;
  // A multi-byte character may be cut at the end of the head: ignore up to 3 trailing bytes.
  for (let cut = 0; cut <= Math.min(3, head.length - 1); cut++) {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      // Tabs, newlines, carriage returns and form feeds are text; other C0 controls and DEL are not.
      return !/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text);
    } catch {
      if (head.length < sniffBytes) return false; // the whole file was seen: no cut character to excuse
    }
  }
  return false;
}
