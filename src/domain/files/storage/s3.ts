import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../../../config.ts';
import { StorageUnavailableError, storageFullCode } from '../../errors.ts';
import type { ByteRange, FileStorage, ResumableStore, StorageOptions } from './index.ts';
import { Measure } from './measure.ts';
import { storageFailures } from '../../../metrics.ts';
import { resumableArea, resumableStore } from './resumable.ts';
import { maxWorkers } from '../extract.ts';
import { slots } from '../slots.ts';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/** S3's smallest part but the last; a multipart upload has at most 10,000 parts. */
const minPartBytes = 5 * 1024 * 1024;
const maxParts = 10_000;
/**
 * Parts sent at once per upload. Each holds a part in memory, and one more is being filled: a few
 * parts' worth per upload, however large its file (bench/files.mjs: +49 MB at the peak for 1 GiB).
 */
const partsAtOnce = 2;
/** A store that accepts no connection within this is unreachable. */
const connectTimeoutMs = 5_000;
/** Longest wait for a store's answer (its headers: a download's body then streams without a deadline). */
const answerTimeoutMs = 30_000;
/** /readyz asks the store this long at most: a load balancer's probe must not hang. */
const statusTimeoutMs = 3_000;
/** The first segments of every key the gateway writes (src/domain/files: uploads and thumbnails). */
const keyAreas = ['files/', 'thumbnails/'];
/** Local copies for extraction at once: as many as parsing workers, so at most that many files on DATA_DIR/tmp. */
const maxLocalCopies = maxWorkers;

type Sdk = typeof import('@aws-sdk/client-s3') & typeof import('@aws-sdk/lib-storage');

/** The AWS SDK (~24 MB of memory) is loaded by the first gateway that uses S3, never by one on local disk. */
let sdk: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  // Its warning that a future SDK will need Node 22 is for the project's maintainers (package.json's engines), not for operators.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(([client, storage]) => ({ ...client, ...storage }));
  return sdk;
}

/** What an SDK failure says, for the logs and StorageUnavailableError: a network code, the store's error name, or its status. */
function failureCode(error: unknown): string {
  const { name, code, $metadata } = (error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (typeof code === 'string') return code;
  if (name && name !== 'Error') return name;
  return String($metadata?.httpStatusCode ?? 'unknown');
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Every failure of the store, whatever it is (no answer, a refusal, an error of its own), is the store being unavailable. */
function unavailable(error: unknown): StorageUnavailableError {
  if (error instanceof StorageUnavailableError) return error;
  const code = failureCode(error);
  storageFailures.inc({ code });
  return new StorageUnavailableError(code);
}

/**
 * Files in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Ceph RGW …), under the
 * STORAGE_URL's prefix. Puts stream through Measure into a multipart upload (lib-storage's
 * Upload: memory bounded by its parts, whatever the file's size); a put that fails aborts its
 * multipart upload. The client keeps no state about the store's health: every call tries anew,
 * so a store that comes back serves the next request.
 */
export function s3Storage(config: S3Config, { tmpDir, maxFileBytes }: StorageOptions): FileStorage {
  const { bucket, prefix } = config;
  const partSize = Math.max(minPartBytes, Math.ceil(maxFileBytes / maxParts));
  const localCopies = slots(maxLocalCopies);
  const where = config.endpoint ? ` at ${new URL(config.endpoint).host}` : '';
  let resumable: Promise<ResumableStore> | undefined;

  let connection: Promise<{ s3: S3Client; api: Sdk }> | undefined;
  const connect = () =>
    (connection ??= loadSdk().then((api) => ({
      api,
      s3: new api.S3Client({
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.forcePathStyle,
        requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: answerTimeoutMs, throwOnRequestTimeout: true },
      }),
    })));

  async function headBucket(timeoutMs: number) {
    const { s3, api } = await connect();
    await s3.send(new api.HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  /** The object's body, or `range` of it; rejects before the first byte when the store cannot serve it. */
  async function body(key: string, range?: ByteRange): Promise<Readable> {
    const { s3, api } = await connect();
    const command = new api.GetObjectCommand({ Bucket: bucket, Key: prefix + key, Range: range && `bytes=${range.start}-${range.end}` });
    const response = await s3.send(command).catch((error: unknown) => Promise.reject(unavailable(error)));
    return response.Body as Readable;
  }

  return {
    async put(key, source, observe) {
      const { s3, api } = await connect();
      const measure = new Measure(observe);
      // Whichever fails first is the cause: the source or `observe` (the client, a limit), or the store.
      let inputError: unknown = null;
      let storeError: unknown = null;
      const storeFailed = (error: unknown) => {
        if (inputError || storeError) return;
        storeError = error;
        measure.destroy(error as Error);
      };
      // Upload sends two parts at once: when one fails, the other would go on waiting for a whole
      // part more of the client's bytes before the upload gave up. The first request that fails
      // stops the reading at once.
      const send = (...args: Parameters<S3Client['send']>) =>
        (s3.send as (...a: typeof args) => Promise<unknown>)(...args).catch((error: unknown) => {
          storeFailed(error);
          throw error;
        });
      const client = new Proxy(s3, { get: (target, name, receiver) => (name === 'send' ? send : Reflect.get(target, name, receiver)) });
      const upload = new api.Upload({
        client,
        params: { Bucket: bucket, Key: prefix + key, Body: measure },
        partSize,
        queueSize: partsAtOnce,
        leavePartsOnError: false,
      });
      const reading = pipeline(source instanceof Readable ? source : Readable.from(source), measure).catch((error: unknown) => {
        if (!storeError) inputError = error;
      });
      // Upload reads `measure` to its end; when the source fails, it aborts the multipart upload before it rejects.
      const storing = upload.done().catch(storeFailed);
      await Promise.all([reading, storing]);
      if (inputError) throw inputError;
      if (storeError) throw unavailable(storeError);
      return { key, size: measure.bytes, sha256: measure.hash.digest('hex') };
    },

    open(key, range) {
      return Readable.from(
        (async function* () {
          yield* await body(key, range);
        })(),
        { objectMode: false },
      );
    },

    async stat(key) {
      const { s3, api } = await connect();
      try {
        const head = await s3.send(new api.HeadObjectCommand({ Bucket: bucket, Key: prefix + key }));
        return { size: Number(head.ContentLength) };
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw unavailable(error);
      }
    },

    async delete(key) {
      const { s3, api } = await connect();
      await s3.send(new api.DeleteObjectCommand({ Bucket: bucket, Key: prefix + key })).catch((error: unknown) => Promise.reject(unavailable(error)));
    },

    // Extraction's parsers (pdfjs, yauzl, sharp, mediabunny, music-metadata) read files at random
    // places, each its own way: a local copy serves them all, and costs disk (at most
    // `maxLocalCopies` files of UPLOAD_LIMIT_BYTES), not memory.
    async withLocalFile(key, use) {
      await localCopies.acquire();
      const path = join(tmpDir, randomUUID());
      try {
        await mkdir(tmpDir, { recursive: true });
        // A store that stops sending is unavailable (503); a local disk that is full is not (507).
        await pipeline(await body(key), createWriteStream(path, { flags: 'wx' })).catch((error: unknown) =>
          Promise.reject(storageFullCode(error) ? error : unavailable(error)),
        );
        return await use(path);
      } finally {
        await rm(path, { force: true });
        localCopies.release();
      }
    },

    async removeStaleTemporary(olderThanMs) {
      const before = new Date(Date.now() - olderThanMs);
      let removed = 0;
      // Multipart uploads a crash left unfinished: their parts cost storage, and no listing of
      // objects shows them. Only under the gateway's own key prefixes: a bucket may hold more.
      const { s3, api } = await connect();
      for (const area of keyAreas) {
        let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
        for (;;) {
          const list = new api.ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix + area, ...markers });
          const page = await s3.send(list).catch((error: unknown) => Promise.reject(unavailable(error)));
          for (const upload of page.Uploads ?? []) {
            if (!upload.Initiated || upload.Initiated >= before) continue;
            const abort = new api.AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId });
            await s3.send(abort).catch((error: unknown) => {
              if (statusOf(error) !== 404) throw unavailable(error); // finished or aborted meanwhile
            });
            removed++;
          }
          if (!page.IsTruncated) break;
          markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
        }
      }
      // Local copies a crash left behind.
      for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
        const info = await stat(join(tmpDir, name)).catch(() => null);
        if (info && info.mtime < before) {
          await rm(join(tmpDir, name), { force: true });
          removed++;
        }
      }
      return removed;
    },

    async status() {
      return headBucket(statusTimeoutMs).then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      );
    },

    async verify() {
      try {
        await headBucket(answerTimeoutMs);
      } catch (error) {
        const status = statusOf(error);
        const name = (error as { name?: string })?.name;
        const reason =
          status === 404
            ? `the bucket "${bucket}" does not exist${where}`
            : status === 403
              ? `access to the bucket "${bucket}" is denied${where}: check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role) and the bucket's policy`
              : name === 'CredentialsProviderError'
                ? 'no credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, a web identity token, an instance role)'
                : name === 'AbortError' || name === 'TimeoutError'
                  ? `the store did not answer within ${answerTimeoutMs / 1000} s${where}`
                  : status
                    ? `the store answered ${status} (${failureCode(error)}) for the bucket "${bucket}"${where}`
                    : `the store cannot be reached${where} (${failureCode(error)})`;
        throw new Error(`STORAGE_URL ${config.url}: ${reason}`);
      }
    },

    resumable(expirationMs) {
      resumable ??= import('@tus/s3-store').then(({ S3Store }) => {
        // An upload is a multipart upload of the object <name>, its state in <name>.info, and the
        // bytes of a part too small to send yet in <name>.part.
        const area = prefix + resumableArea;
        class ResumableS3Store extends S3Store {
          /** tus's S3 store reads any failure as "no such upload": a store that does not answer is not that (503, not 404). */
          override async getUpload(id: string) {
            try {
              return await super.getUpload(id);
            } catch (error) {
              await this.client.headObject({ Bucket: bucket, Key: `${id}.info` }).catch((failure: unknown) => {
                if (statusOf(failure) !== 404) throw unavailable(failure);
              });
              throw error;
            }
          }

          /** tus's termination leaves <name>.part behind: it is removed too. */
          override async remove(id: string) {
            try {
              await super.remove(id);
            } finally {
              await this.client.deleteObject({ Bucket: bucket, Key: `${id}.part` }).catch(() => {});
            }
          }
        }
        const datastore = new ResumableS3Store({
          s3ClientConfig: {
            bucket,
            region: config.region,
            endpoint: config.endpoint,
            forcePathStyle: config.forcePathStyle,
            requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: answerTimeoutMs, throwOnRequestTimeout: true },
            // tus's store sends parts as streams: with checksums by default the SDK would send them aws-chunked with a
            // trailing checksum, which not every S3-compatible store reads (some store the framing as the bytes).
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          },
          partSize,
          expirationPeriodInMilliseconds: expirationMs,
          // Tags are not kept by every S3-compatible store (R2); expiry is ours (removeExpired).
          useTags: false,
          // Every process reads an upload's state from the store: a resume may come to any of them.
          cache: { get: async () => undefined, set: async () => {}, delete: async () => {} },
        });
        const self = this as FileStorage;
        return resumableStore({
          datastore,
          idOf: (name) => area + name,
          async remove(name) {
            // tus's remove aborts an unfinished multipart upload; a finished one has none, and only objects are left.
            await datastore.remove(area + name).catch(() => {});
            for (const suffix of ['', '.info', '.part']) await self.delete(`${resumableArea}${name}${suffix}`);
          },
          async listNames() {
            const { s3, api } = await connect();
            const names: string[] = [];
            let ContinuationToken: string | undefined;
            do {
              const list = new api.ListObjectsV2Command({ Bucket: bucket, Prefix: area, ContinuationToken });
              const page = await s3.send(list).catch((error: unknown) => Promise.reject(unavailable(error)));
              for (const { Key } of page.Contents ?? []) if (Key?.endsWith('.info')) names.push(Key.slice(area.length, -'.info'.length));
              ContinuationToken = page.NextContinuationToken;
            } while (ContinuationToken);
            return names;
          },
        });
      });
      return resumable;
    },
  };
}
