import { describe, expect, it } from 'vitest';
import { videoEmbedFor } from '../../src/domain/assets.ts';
import { slugBase } from '../../src/domain/slugs.ts';

describe('asset rules', () => {
  it('slugs titles', () => {
    expect(slugBase('Product Guide 2024')).toBe('product-guide-2024');
    expect(slugBase('  Ünïcödé  & more_stuff!! ')).toBe('unicode-and-more-stuff');
    expect(slugBase('???')).toBe('asset');
    expect(slugBase('a'.repeat(500))).toHaveLength(200);
  });

  it('derives embeds only for YouTube and Vimeo', () => {
    expect(videoEmbedFor(new URL('https://m.youtube.com/watch?v=a1'))).toBe('https://youtube.com/embed/a1');
    expect(videoEmbedFor(new URL('https://youtube.com/watch'))).toBeNull();
    expect(videoEmbedFor(new URL('https://vimeo.com/channels/x'))).toBeNull();
    expect(videoEmbedFor(new URL('https://notyoutube.com/watch?v=a1'))).toBeNull();
  });
});
