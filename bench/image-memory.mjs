// node bench/image-memory.mjs — what decoding one image for its thumbnail costs in native memory,
// per format, against the estimate the server refuses images by (heldBytesPerPixel in
// src/domain/files/images.ts).
//
// For each kind of image (BENCH_IMAGE_SIDE × BENCH_IMAGE_SIDE pixels, 4000 by default) it writes
// the file under bench/.data/image-memory/, then reads it in a fresh process with the server's own
// code (readImage: header, checks, WebP thumbnail; limits lifted so that nothing is refused) and
// prints the growth of that process's peak RSS (VmHWM over VmRSS before the decode), per pixel.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const side = Number(process.env.BENCH_IMAGE_SIDE || 4000);
const dir = join(ROOT, 'bench/.data/image-memory');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const image = (channels = 3) => sharp({ create: { width: side, height: side, channels, background: { r: 200, g: 40, b: 40, alpha: 0.5 } } });
const kinds = [
  ['GIF', 'gif', () => image().gif()],
  ['AVIF', 'avif', () => image().avif({ effort: 0 })],
  ['TIFF, one uncompressed tile', 'tif', () => image().tiff({ compression: 'none', tile: true, tileWidth: side, tileHeight: side })],
  ['TIFF, deflate strips', 'tif', () => image().tiff({ compression: 'deflate' })],
  ['progressive JPEG 4:2:0', 'jpg', () => image().jpeg({ progressive: true })],
  ['progressive JPEG 4:4:4', 'jpg', () => image().jpeg({ progressive: true, chromaSubsampling: '4:4:4' })],
  ['interlaced PNG, RGB', 'png', () => image().png({ progressive: true })],
  ['interlaced PNG, RGBA', 'png', () => image(4).png({ progressive: true })],
  ['interlaced PNG, RGBA 16-bit', 'png', () => image(4).toColourspace('rgb16').png({ progressive: true })],
  ['baseline JPEG', 'jpg', () => image().jpeg()],
  ['PNG', 'png', () => image().png()],
  ['WebP', 'webp', () => image().webp({ effort: 0 })],
];

// Runs in the child: the server's reading of one image, with limits that refuse nothing.
const child = `
import { readFileSync } from 'node:fs';
import { heldBytesPerPixel, loadSharp, readImage } from './src/domain/files/images.ts';
const status = () => readFileSync('/proc/self/status', 'utf8');
const kb = (field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(status())[1]);
const sharp = await loadSharp();
const info = await sharp(process.argv[1]).metadata();
const before = kb('VmRSS');
await readImage(process.argv[1], 320, { timeoutMs: 600000, memoryMb: 1e6, maxImagePixels: 1e10 });
console.log(JSON.stringify({ grewKb: kb('VmHWM') - before, estimate: heldBytesPerPixel(info), frame: info.channels * (info.depth === 'ushort' ? 2 : 1) }));
`;

console.log(`| ${side} × ${side} | file | peak RSS growth | per pixel | per byte of frame | estimate per pixel |\n|---|---|---|---|---|---|`);
for (const [name, extension, make] of kinds) {
  const file = join(dir, `image.${extension}`);
  writeFileSync(file, await make().toBuffer());
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, file], { cwd: ROOT, encoding: 'utf8' });
  const { grewKb, estimate, frame } = JSON.parse(out.trim().split('\n').pop());
  const perPixel = (grewKb * 1024) / side ** 2;
  const size = statSync(file).size;
  console.log(
    `| ${name} | ${(size / 1024).toFixed(0)} KB | ${(grewKb / 1024).toFixed(0)} MB | ${perPixel.toFixed(1)} B | ${(perPixel / frame).toFixed(2)} | ${estimate} B |`,
  );
}
rmSync(dir, { recursive: true, force: true });
