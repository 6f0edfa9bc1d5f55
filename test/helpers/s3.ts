import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * An S3 emulator for the tests (s3rver, from npm, with ListMultipartUploads, ListParts and
 * AbortMultipartUpload added by patches/s3rver+3.7.1.patch), on a free port of 127.0.0.1 with
 * its files in a temporary folder. Not a real S3: it speaks the API the gateway uses
 * (multipart uploads, ranges, HEAD), so the tests run the real S3 code path.
 */
export class S3Emulator {
  static readonly bucket = 'test-bucket';
  /** s3rver's built-in account; real credentials in the environment would be refused by it. */
  static readonly credentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

  private server: S3rver | null = null;
  readonly client: S3Client;

  private constructor(
    readonly directory: string,
    readonly port: number,
    server: S3rver,
  ) {
    this.server = server;
    this.client = new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3Emulator.credentials.AWS_ACCESS_KEY_ID, secretAccessKey: S3Emulator.credentials.AWS_SECRET_ACCESS_KEY },
    });
  }

  /** Starts an emulator with one bucket, and points this process's AWS credentials at it (the gateway reads them from the SDK's chain). */
  static async start(): Promise<S3Emulator> {
    Object.assign(process.env, S3Emulator.credentials, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    const directory = await mkdtemp(join(tmpdir(), 'ag-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: S3Emulator.bucket, configs: [] }] });
    const { port } = await server.run();
    return new S3Emulator(directory, port, server);
  }

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The gateway's settings for a prefix of its own in the bucket (a fresh one unless given). */
  env(prefix = `t-${randomBytes(4).toString('hex')}`): Record<string, string> {
    return { STORAGE_URL: `s3://${S3Emulator.bucket}/${prefix}`, S3_ENDPOINT: this.endpoint, S3_FORCE_PATH_STYLE: 'true' };
  }

  /** Stops answering (the port is closed); the bucket's files stay for `restart`. */
  async stop() {
    await this.server?.close();
    this.server = null;
  }

  /** Answers again, on the same port, with the same bucket and objects (if stopped). */
  async restart() {
    if (this.server) return;
    this.server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.directory });
    await this.server.run();
  }

  async dispose() {
    await this.stop();
    this.client.destroy();
    await rm(this.directory, { recursive: true, force: true });
  }

  /** Keys of the objects under `prefix`, without it. */
  async objectKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: S3Emulator.bucket, Prefix: prefix, ContinuationToken }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!.slice(prefix.length)));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return keys.sort();
  }

  /** Multipart uploads begun under `prefix` and neither completed nor aborted (their keys, without the prefix). */
  async unfinishedUploads(prefix: string): Promise<string[]> {
    const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: S3Emulator.bucket, Prefix: prefix }));
    return (page.Uploads ?? []).map((upload) => upload.Key!.slice(prefix.length));
  }
}
