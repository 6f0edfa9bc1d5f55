/**
 * A word is a run of non-whitespace characters holding at least one letter or digit: Markdown's
 * `#` and `-`, a table's `|---|` or a lone `–` are not words. Every format counts the same way.
 */
const token = /\S+/gu;
const wordish = /[\p{L}\p{N}]/u;

export function countWords(text: string): number {
  let count = 0;
  for (const [word] of text.matchAll(token)) if (wordish.test(word)) count++;
  return count;
}

/** Counts words over a text that arrives in chunks (a word may span two chunks). */
export class WordCounter {
  private count = 0;
  private carry = '';
  push(chunk: string) {
    const text = this.carry + chunk;
    // The last run may continue in the next chunk: keep it for then.
    const cut = text.search(/\S+$/u);
    this.carry = cut === -1 ? '' : text.slice(cut);
    this.count += countWords(cut === -1 ? text : text.slice(0, cut));
  }
  total(): number {
    return this.count + countWords(this.carry);
  }
}
