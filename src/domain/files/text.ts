/**
 * The text a file holds, kept for content search: a PDF's per page, a document's as one page.
 * At most `limitBytes` of UTF-8 in all (SEARCH_TEXT_LIMIT_BYTES): what is past it is not kept,
 * though its words still count. Control characters become spaces (they mark highlights in
 * snippets, src/domain/search.ts, and PostgreSQL cannot store NUL).
 */
export interface FileText {
  pages: string[];
  /** Whether the pages are the file's own (a PDF), so a hit can name its page. */
  paged: boolean;
}

const controls = /[\0-\x08\x0B-\x1F\x7F-\x9F]/g;

export class TextKeeper {
  private readonly pages: string[] = [];
  private left: number;
  constructor(
    limitBytes: number,
    private readonly paged: boolean,
  ) {
    this.left = limitBytes;
  }

  /** Adds the next page (or, for a document, more of its one page). */
  add(text: string, newPage = this.paged || this.pages.length === 0) {
    const clean = text.replace(controls, ' ').replace(/\p{Cs}/gu, '\uFFFD');
    let kept = clean;
    const bytes = Buffer.byteLength(clean);
    if (bytes > this.left) kept = cutToBytes(clean, this.left);
    this.left -= Buffer.byteLength(kept);
    if (newPage) this.pages.push(kept);
    else this.pages[this.pages.length - 1] += kept;
  }

  /** Whether nothing more will be kept (a page added now would be empty). */
  get full(): boolean {
    return this.left <= 0;
  }

  text(): FileText {
    return { pages: this.pages, paged: this.paged };
  }
}

/** The longest start of `text` of at most `bytes` UTF-8 bytes, never cutting a character. */
function cutToBytes(text: string, bytes: number): string {
  const encoded = Buffer.from(text).subarray(0, Math.max(0, bytes));
  // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
  return encoded.toString('utf8').replace(/\uFFFD$/u, '');
}
