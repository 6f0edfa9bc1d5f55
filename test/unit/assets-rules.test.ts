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

  it('reads every common YouTube and Vimeo link, with its start time', () => {
    const embeds: [string, string | null][] = [
      ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://youtube.com/embed/dQw4w9WgXcQ'],
      ['https://youtube.com/shorts/abcDEF12345', 'https://youtube.com/embed/abcDEF12345'],
      ['https://www.youtube.com/shorts/abcDEF12345?feature=share', 'https://youtube.com/embed/abcDEF12345'],
      ['https://m.youtube.com/shorts/abcDEF12345', 'https://youtube.com/embed/abcDEF12345'],
      ['https://youtu.be/abcDEF12345?t=42', 'https://youtube.com/embed/abcDEF12345?start=42'],
      ['https://youtu.be/abcDEF12345?t=42s', 'https://youtube.com/embed/abcDEF12345?start=42'],
      ['https://www.youtube.com/watch?v=abcDEF12345&t=1m30s', 'https://youtube.com/embed/abcDEF12345?start=90'],
      ['https://m.youtube.com/watch?t=1h2m3s&v=abcDEF12345', 'https://youtube.com/embed/abcDEF12345?start=3723'],
      ['https://youtube.com/watch?v=abcDEF12345&start=15', 'https://youtube.com/embed/abcDEF12345?start=15'],
      ['https://youtube.com/watch?v=abcDEF12345&t=0', 'https://youtube.com/embed/abcDEF12345'],
      ['https://youtube.com/watch?v=abcDEF12345&t=soon', 'https://youtube.com/embed/abcDEF12345'],
      ['https://vimeo.com/123456', 'https://player.vimeo.com/video/123456'],
      ['https://player.vimeo.com/video/123456', 'https://player.vimeo.com/video/123456'],
      ['https://player.vimeo.com/video/123456?h=abc', 'https://player.vimeo.com/video/123456'],
      ['https://youtube.com/shorts/', null],
      ['https://youtube.com/watch?v=a%22b', null],
      ['https://player.vimeo.com/video/abc', null],
      ['https://vimeo.com.evil.example/123456', null],
      ['https://evil.example/?u=https://youtube.com/watch?v=abcDEF12345', null],
    ];
    for (const [url, embed] of embeds) expect({ url, embed: videoEmbedFor(new URL(url)) }).toEqual({ url, embed });
  });
});
