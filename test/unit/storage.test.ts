import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { FileStorage } from '../../src/domain/files/storage/index.ts';
import { localDiskStorage } from '../../src/domain/files/storage/local.ts';
import { s3Storage } from '../../src/domain/files/storage/s3.ts';
import { stores } from '../helpers/app.ts';
import { S3Emulator } from '../helpers/s3.ts';

const root = await mkdtemp(join(tmpdir(), 'storage-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** `count` chunks of 1 MiB, each filled with its own index, so that a chunk lost or reordered shows in the hash. */
async function* chunks(count: number, failAt = -1) {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error('source failed');
    yield Buffer.alloc(1024 * 1024, i % 251);
  }
}

describe.each(stores)('storage on %s', (store) => {
  let storage: FileStorage;
  let s3: S3Emulator | null = null;
  const prefix = `unit-${store}/`;
  /** What a put that never finished left: temporary files on disk, unfinished multipart uploads on S3. */
  let leftovers: () => Promise<string[]>;

  beforeAll(async () => {
    if (store === 'disk') {
      storage = localDiskStorage(root);
      leftovers = () => readdir(join(root, '.tmp')).catch(() => []);
      return;
    }
    s3 = await S3Emulator.start();
    const { storage: config } = loadConfig({ ...s3.env(prefix.slice(0, -1)), DATA_DIR: root });
    if (config.kind !== 's3') throw new Error('expected an S3 configuration');
    storage = s3Storage(config, { tmpDir: join(root, 'tmp'), maxFileBytes: 200 * 1024 * 1024 });
    leftovers = () => s3!.unfinishedUploads(prefix);
  });
  afterAll(() => s3?.dispose());

  it('stores a file larger than the write-back interval and many parts whole, with its size and SHA-256', async () => {
    const expected = createHash('sha256');
    for await (const chunk of chunks(80)) expected.update(chunk);
    const seen: number[] = [];
    const stored = await storage.put('files/large', chunks(80), (_chunk, size) => seen.push(size));
    expect(stored).toEqual({ key: 'files/large', size: 80 * 1024 * 1024, sha256: expected.digest('hex') });
    expect(seen.at(-1)).toBe(80 * 1024 * 1024);
    expect(await storage.stat('files/large')).toEqual({ size: 80 * 1024 * 1024 });
    const read = createHash('sha256');
    for await (const chunk of storage.open('files/large')) read.update(chunk);
    expect(read.digest('hex')).toBe(stored.sha256);
    expect(await leftovers()).toEqual([]);
  });

  it('reads a range, and a local copy that is gone after use', async () => {
    await storage.put('files/alphabet', Readable.from([Buffer.from('abcdefghijklmnopqrstuvwxyz')]));
    expect((await buffer(storage.open('files/alphabet', { start: 0, end: 0 }))).toString()).toBe('a');
    expect((await buffer(storage.open('files/alphabet', { start: 23, end: 25 }))).toString()).toBe('xyz');
    let copy = '';
    const text = await storage.withLocalFile('files/alphabet', async (path) => {
      copy = path;
      return (await import('node:fs/promises')).readFile(path, 'utf8');
    });
    expect(text).toBe('abcdefghijklmnopqrstuvwxyz');
    // A local disk hands its own file; an object store a copy, removed once used.
    if (store === 's3') expect(await readdir(join(root, 'tmp'))).not.toContain(copy.split('/').pop());
    await storage.delete('files/alphabet');
    expect(await storage.stat('files/alphabet')).toBeNull();
  });

  it('leaves nothing behind when the source or the observer fails past the first write-back and the first parts', async () => {
    await expect(storage.put('files/cut', chunks(72, 68))).rejects.toThrow('source failed');
    const refuse = (_chunk: Buffer, size: number) => {
      if (size > 66 * 1024 * 1024) throw new Error('too large');
    };
    await expect(storage.put('files/refused', chunks(72), refuse)).rejects.toThrow('too large');
    expect(await storage.stat('files/cut')).toBeNull();
    expect(await storage.stat('files/refused')).toBeNull();
    expect(await leftovers()).toEqual([]);
  });
});

describe('storage on s3, the store failing', () => {
  let s3: S3Emulator;
  let storage: FileStorage;
  const prefix = 'unit-failing/';
  beforeAll(async () => {
    s3 = await S3Emulator.start();
    const { storage: config } = loadConfig({ ...s3.env(prefix.slice(0, -1)), DATA_DIR: root });
    if (config.kind !== 's3') throw new Error('expected an S3 configuration');
    storage = s3Storage(config, { tmpDir: join(root, 'tmp'), maxFileBytes: 200 * 1024 * 1024 });
  });
  afterAll(() => s3?.dispose());

  it('aborts the multipart uploads a crash left unfinished, older than asked', async () => {
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await s3.client.send(new CreateMultipartUploadCommand({ Bucket: S3Emulator.bucket, Key: `${prefix}files/left-by-a-crash` }));
    await s3.client.send(new CreateMultipartUploadCommand({ Bucket: S3Emulator.bucket, Key: 'another-prefix/files/not-ours' }));
    expect(await storage.removeStaleTemporary(3600_000)).toBe(0);
    expect(await s3.unfinishedUploads(prefix)).toEqual(['files/left-by-a-crash']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storage.removeStaleTemporary(10)).toBe(1);
    expect(await s3.unfinishedUploads(prefix)).toEqual([]);
    expect(await s3.unfinishedUploads('another-prefix/')).toEqual(['files/not-ours']);
  });

  it('says unreachable and fails with StorageUnavailableError while the store is down, and works again once it is back', async () => {
    expect(await storage.status()).toBe('ok');
    await s3.stop();
    expect(await storage.status()).toBe('unreachable');
    const unavailable = { name: 'StorageUnavailableError', code: 'ECONNREFUSED' };
    await expect(storage.put('files/while-down', chunks(1))).rejects.toMatchObject(unavailable);
    await expect(storage.stat('files/anything')).rejects.toMatchObject(unavailable);
    await expect(storage.delete('files/anything')).rejects.toMatchObject(unavailable);
    await expect(buffer(storage.open('files/anything'))).rejects.toMatchObject(unavailable);
    await expect(storage.withLocalFile('files/anything', async () => 'never')).rejects.toMatchObject(unavailable);
    await s3.restart();
    expect(await storage.status()).toBe('ok');
    expect((await storage.put('files/after', chunks(1))).size).toBe(1024 * 1024);
  });
});
