import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localDiskStorage } from '../../src/domain/files/storage.ts';

const root = await mkdtemp(join(tmpdir(), 'storage-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** `count` chunks of 1 MiB, each filled with its own index, so that a chunk lost or reordered shows in the hash. */
async function* chunks(count: number, failAt = -1) {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error('source failed');
    yield Buffer.alloc(1024 * 1024, i % 251);
  }
}

describe('local disk storage', () => {
  it('stores a file larger than the write-back interval whole, with its size and SHA-256', async () => {
    const storage = localDiskStorage(root);
    const expected = createHash('sha256');
    for await (const chunk of chunks(150)) expected.update(chunk);
    const seen: number[] = [];
    const stored = await storage.put('files/large', chunks(150), (_chunk, size) => seen.push(size));
    expect(stored).toEqual({ key: 'files/large', size: 150 * 1024 * 1024, sha256: expected.digest('hex') });
    expect(seen.at(-1)).toBe(150 * 1024 * 1024);
    const onDisk = await readFile(join(root, 'files/large'));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(stored.sha256);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('leaves nothing behind when the source or the observer fails past the first write-back', async () => {
    const storage = localDiskStorage(root);
    await expect(storage.put('files/cut', chunks(100, 80))).rejects.toThrow('source failed');
    const refuse = (_chunk: Buffer, size: number) => {
      if (size > 70 * 1024 * 1024) throw new Error('too large');
    };
    await expect(storage.put('files/refused', chunks(100), refuse)).rejects.toThrow('too large');
    expect(await storage.stat('files/cut')).toBeNull();
    expect(await storage.stat('files/refused')).toBeNull();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });
});
