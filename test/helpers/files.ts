import HME from 'h264-mp4-encoder';
import JSZip from 'jszip';
import {
  ALL_FORMATS,
  BufferSource,
  BufferTarget,
  EncodedPacket,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  Input,
  Mp4OutputFormat,
  Output,
  WebMOutputFormat,
} from 'mediabunny';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** Real files made in code, with known contents, for the extraction tests. */

/** A PDF with one page per entry; each page's text drawn line by line. */
export async function makePdf(pages: string[][]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font }));
  }
  return Buffer.from(await pdf.save());
}

export function makePng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();
}

/** A JPEG stored `width`×`height` whose EXIF orientation (6: turn 90° clockwise) displays it `height`×`width`. */
export function makeJpeg(width: number, height: number, orientation = 1): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation })
    .toBuffer();
}

/** 16-bit mono PCM WAV of `samples` silent samples at `sampleRate`, header written by hand. */
export function makeWav(samples: number, sampleRate: number): Buffer {
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVE', 8);
  wav.write('fmt ', 12);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(data, 40);
  return wav;
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

function escapeXml(text: string) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A minimal Word document, one paragraph per entry; `padding` adds that many bytes of XML (a zip bomb when large). */
export async function makeDocx(paragraphs: string[], padding = 0): Promise<Buffer> {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${escapeXml(p)}</w:t></w:r></w:p>`).join('');
  const filler = padding ? `<!--${' '.repeat(padding)}-->` : '';
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}${filler}</w:body></w:document>`;
  const zip = new JSZip();
  zip.file('[Content_Types].xml', contentTypes);
  zip.file('_rels/.rels', rels);
  zip.file('word/document.xml', document);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

/** A multipart/form-data body with one part per entry. */
export function multipartBody(parts: { name: string; filename?: string; contentType?: string; content: Buffer | string }[]) {
  const boundary = `----agtest${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const type = part.filename !== undefined ? `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The track header's matrix (a, b, u, c, d, v, x, y, w; 16.16 and 2.30 fixed point) turning a picture clockwise. */
const turnedBy = {
  90: [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000],
  180: [-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000],
  270: [0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000],
};

/**
 * An H.264 MP4 of `frames` grey frames at `frameRate`, encoded for real (h264-mp4-encoder, a WASM
 * build of minih264 and minimp4). `rotation` is written into the track header's matrix, as
 * phones do: stored width×height, displayed height×width when turned by 90° or 270°.
 */
export async function makeMp4(width: number, height: number, frames: number, frameRate: number, rotation: 0 | 90 | 180 | 270 = 0): Promise<Buffer> {
  const encoder = await HME.createH264MP4Encoder();
  Object.assign(encoder, { width, height, frameRate });
  encoder.initialize();
  const grey = new Uint8Array(width * height * 4).fill(128);
  for (let i = 0; i < frames; i++) encoder.addFrameRgba(grey);
  encoder.finalize();
  const mp4 = Buffer.from(encoder.FS.readFile(encoder.outputFilename));
  encoder.FS.unlink(encoder.outputFilename);
  encoder.delete();
  if (rotation) {
    // tkhd (version 0): 8 bytes of box header, then 40 bytes of fields before the 3×3 matrix.
    const matrix = mp4.indexOf('tkhd') - 4 + 8 + 40;
    for (const [i, value] of turnedBy[rotation].entries()) mp4.writeInt32BE(value, matrix + i * 4);
  }
  return mp4;
}

/** The same video rewritten as a fragmented MP4 (moof boxes, no duration in the movie header), as Safari's MediaRecorder writes. */
export async function fragmentMp4(mp4: Buffer): Promise<Buffer> {
  const input = new Input({ source: new BufferSource(mp4), formats: ALL_FORMATS });
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error('no video track');
  const output = new Output({ format: new Mp4OutputFormat({ fastStart: 'fragmented', minimumFragmentDuration: 0.5 }), target: new BufferTarget() });
  const source = new EncodedVideoPacketSource((await track.getCodec())!);
  output.addVideoTrack(source);
  await output.start();
  const decoderConfig = (await track.getDecoderConfig())!;
  let first = true;
  for await (const packet of new EncodedPacketSink(track).packets()) {
    await source.add(packet, first ? { decoderConfig } : undefined);
    first = false;
  }
  await output.finalize();
  return Buffer.from(output.target.buffer!);
}

/**
 * A WebM video track width×height, one small VP8 packet every 40 ms for `seconds` (the packets are
 * not real pictures). `streamed` writes it as a browser's MediaRecorder does: elements of unknown
 * size and no duration in the header.
 */
export async function makeWebm(width: number, height: number, seconds: number, streamed = false): Promise<Buffer> {
  const output = new Output({ format: new WebMOutputFormat({ appendOnly: streamed }), target: new BufferTarget() });
  const source = new EncodedVideoPacketSource('vp8');
  output.addVideoTrack(source, { frameRate: 25 });
  await output.start();
  const decoderConfig = { codec: 'vp8', codedWidth: width, codedHeight: height };
  for (let frame = 0; frame < seconds * 25; frame++) {
    const packet = new EncodedPacket(new Uint8Array(16), frame === 0 ? 'key' : 'delta', frame / 25, 1 / 25);
    await source.add(packet, frame === 0 ? { decoderConfig } : undefined);
  }
  await output.finalize();
  return Buffer.from(output.target.buffer!);
}

/** A minimal OpenDocument text: the `mimetype` entry first and stored, as the format requires. */
export async function makeOdt(paragraphs: string[]): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('mimetype', 'application/vnd.oasis.opendocument.text', { compression: 'STORE' });
  const body = paragraphs.map((p) => `<text:p>${escapeXml(p)}</text:p>`).join('');
  zip.file(
    'content.xml',
    `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
  );
  zip.file(
    'META-INF/manifest.xml',
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** A 35-byte GIF declaring `width`×`height` pixels (a two-colour table, one image, two bytes of LZW data): an image bomb. */
export function makeGifDeclaring(width: number, height: number): Buffer {
  const gif = Buffer.alloc(35);
  gif.write('GIF89a', 0, 'latin1');
  gif.writeUInt16LE(width, 6);
  gif.writeUInt16LE(height, 8);
  gif[10] = 0x80; // global colour table of 2 entries
  gif.set([0, 0, 0, 255, 255, 255], 13);
  gif[19] = 0x2c; // image descriptor at 0,0, the whole screen
  gif.writeUInt16LE(width, 24);
  gif.writeUInt16LE(height, 26);
  gif.set([2, 2, 0x4c, 0x01, 0], 29); // LZW code size 2, one sub-block of 2 bytes, end of blocks
  gif[34] = 0x3b; // trailer
  return gif;
}

/** A zip entry: its name, its deflated bytes, and the size and CRC-32 it declares. */
export interface ZipEntry {
  name: string;
  deflated: Buffer;
  size: number;
  crc: number;
}

/** A zip written byte by byte (local headers, central directory, end record), so an entry can declare any size. */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.deflated.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(entry.deflated.length, 20);
    central.writeUInt32LE(entry.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.deflated);
    centrals.push(central, name);
    offset += local.length + name.length + entry.deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** An honest entry for `text`. */
function zipEntry(name: string, text: string): ZipEntry {
  const data = Buffer.from(text);
  return { name, deflated: deflateRawSync(data), size: data.length, crc: crc32(data) };
}

/**
 * An entry `head` + `mebibytes` MiB of spaces + `tail` that declares `claimedSize` bytes (its CRC is
 * true). Deflated piece by piece, each piece flushed to a byte boundary so that the pieces join:
 * a gibibyte of XML costs about 1 MB and is never held whole.
 */
function lyingEntry(name: string, head: string, mebibytes: number, tail: string, claimedSize: number): ZipEntry {
  const piece = (data: Buffer, last = false) => deflateRawSync(data, { level: 9, finishFlush: last ? constants.Z_FINISH : constants.Z_FULL_FLUSH });
  const spaces = Buffer.alloc(1024 * 1024, ' ');
  const spacesDeflated = piece(spaces);
  let crc = crc32(head);
  for (let i = 0; i < mebibytes; i++) crc = crc32(spaces, crc);
  crc = crc32(tail, crc);
  const deflated = Buffer.concat([piece(Buffer.from(head)), ...Array<Buffer>(mebibytes).fill(spacesDeflated), piece(Buffer.from(tail), true)]);
  return { name, deflated, size: claimedSize, crc };
}

/** A Word document whose `word/document.xml` declares 1,000 bytes and inflates to `mebibytes` MiB (the default, 1 GiB in a ~1 MB file). */
export function makeLyingDocx(mebibytes = 1024): Buffer {
  const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>tiny</w:t></w:r></w:p><!--`;
  return writeZip([
    zipEntry('[Content_Types].xml', contentTypes),
    zipEntry('_rels/.rels', rels),
    lyingEntry('word/document.xml', head, mebibytes, '--></w:body></w:document>', 1000),
  ]);
}

/** The same lie in an OpenDocument text's `content.xml`. */
export function makeLyingOdt(mebibytes = 1024): Buffer {
  const head = `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>tiny</text:p><!--`;
  return writeZip([
    zipEntry('mimetype', 'application/vnd.oasis.opendocument.text'),
    lyingEntry('content.xml', head, mebibytes, '--></office:text></office:body></office:document-content>', 1000),
  ]);
}
