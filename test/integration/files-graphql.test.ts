import { createHash } from 'node:crypto';
import { print } from 'graphql';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import { expectData, graphql, stores, type TestApp, useTestApp } from '../helpers/app.ts';
import { makeDocx, makeJpeg, makeMp4, makePdf, makeWav, multipartBody } from '../helpers/files.ts';

const uploadLimit = 256 * 1024;
/** The app of the store whose tests are running: every test below runs once on each store. */
let t: TestApp;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const UploadFile = gql(`
  mutation UploadFile($file: File!) {
    uploadFile(file: $file) { filePath fileSize mimeType checksumSha256 }
  }
`);

const CreateFromFile = gql(`
  mutation CreateFromFile($input: CreateAssetInput!) {
    createAsset(input: $input) {
      __typename id assetType
      ... on FileAsset { filePath fileSize mimeType checksumSha256 thumbnailPath downloadUrl thumbnailUrl }
      ... on PdfAsset { pageCount wordCount }
      ... on DocumentAsset { pageCount wordCount }
      ... on ImageAsset { width height }
      ... on AudioAsset { durationSeconds }
      ... on VideoAsset { durationSeconds width height }
    }
  }
`);

/** A GraphQL multipart request (operations, map, one file part) through yoga. */
async function uploadFile(key: string | null, content: Buffer | string, filename = 'file.bin') {
  const { payload, contentType } = multipartBody([
    { name: 'operations', content: JSON.stringify({ query: print(UploadFile), variables: { file: null } }) },
    { name: 'map', content: JSON.stringify({ 0: ['variables.file'] }) },
    { name: '0', filename, content, contentType: 'application/octet-stream' },
  ]);
  const response = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    payload,
  });
  return {
    status: response.statusCode,
    ...(response.json() as {
      data?: { uploadFile: { filePath: string; fileSize: number; mimeType: string; checksumSha256: string } };
      errors?: { message: string; extensions: Record<string, unknown> }[];
    }),
  };
}

async function createFromFile(key: string, assetType: string, content: Buffer | string, filename: string) {
  const uploaded = await uploadFile(key, content, filename);
  expect(uploaded.errors).toBeUndefined();
  return graphql(t.app, key, CreateFromFile, { input: { title: filename, assetType: assetType as never, filePath: uploaded.data!.uploadFile.filePath } });
}

describe.each(stores)('uploadFile and createAsset over GraphQL, on %s', (store) => {
  // The deadline has its own test (test/unit/extract-limits.test.ts); these check what is extracted.
  const app = useTestApp({ GRAPHQL_UPLOAD_LIMIT_BYTES: String(uploadLimit), EXTRACT_TIMEOUT_MS: '60000' }, store);
  beforeAll(() => {
    t = app;
  });

  it('uploads through the multipart request spec and extracts every field, as REST does', async () => {
    const key = await t.newKey();
    const pdf = await makePdf([['One two three'], ['four five'], ['six']]);
    const uploaded = await uploadFile(key, pdf, 'slides.key');
    expect(uploaded).toEqual({
      status: 200,
      data: {
        uploadFile: {
          filePath: expect.stringMatching(/^\/uploads\/[0-9a-f-]{36}\.pdf$/),
          fileSize: pdf.length,
          mimeType: 'application/pdf',
          checksumSha256: sha256(pdf),
        },
      },
    });
    const created = expectData(
      await graphql(t.app, key, CreateFromFile, { input: { title: 'Slides', assetType: 'PDF' as never, filePath: uploaded.data!.uploadFile.filePath } }),
    ).createAsset as { id: string; downloadUrl: string };
    expect(created).toEqual({
      __typename: 'PdfAsset',
      id: expect.any(String),
      assetType: 'PDF',
      filePath: uploaded.data!.uploadFile.filePath,
      fileSize: pdf.length,
      mimeType: 'application/pdf',
      checksumSha256: sha256(pdf),
      thumbnailPath: expect.stringMatching(/^\/uploads\/thumbnails\/.+\.webp$/),
      // Signed (issue 21): they work without a key until they expire.
      downloadUrl: expect.stringMatching(new RegExp(`^/api/v1/assets/${created.id}/download\\?exp=\\d+&sig=[\\w-]{43}$`)),
      thumbnailUrl: expect.stringMatching(new RegExp(`^/api/v1/assets/${created.id}/thumbnail\\?exp=\\d+&sig=[\\w-]{43}$`)),
      pageCount: 3,
      wordCount: 6,
    });
    const file = await t.app.inject({ method: 'GET', url: created.downloadUrl, headers: { authorization: `Bearer ${key}` } });
    expect(sha256(file.rawPayload)).toBe(sha256(pdf));

    const jpeg = await makeJpeg(300, 100, 8);
    expect(expectData(await createFromFile(key, 'IMAGE', jpeg, 'turned.jpg')).createAsset).toMatchObject({
      __typename: 'ImageAsset',
      width: 100,
      height: 300,
      mimeType: 'image/jpeg',
      fileSize: jpeg.length,
    });
    const wav = makeWav(22_050, 44_100);
    expect(expectData(await createFromFile(key, 'AUDIO', wav, 'half.wav')).createAsset).toMatchObject({
      __typename: 'AudioAsset',
      durationSeconds: 0.5,
      mimeType: 'audio/wav',
      thumbnailUrl: null,
    });
    const mp4 = await makeMp4(32, 16, 30, 20, 90);
    expect(expectData(await createFromFile(key, 'VIDEO', mp4, 'portrait.mp4')).createAsset).toMatchObject({
      __typename: 'VideoAsset',
      durationSeconds: 1.5,
      width: 16,
      height: 32,
      mimeType: 'video/mp4',
      fileSize: mp4.length,
      checksumSha256: sha256(mp4),
    });
    const docx = await makeDocx(['Alpha beta gamma.', 'Delta — epsilon 42.']);
    expect(expectData(await createFromFile(key, 'DOCUMENT', docx, 'greek.docx')).createAsset).toMatchObject({
      __typename: 'DocumentAsset',
      wordCount: 6,
      pageCount: null,
    });
    expect(expectData(await createFromFile(key, 'DOCUMENT', '## Heading two\n\n1. first item\n', 'list.md')).createAsset).toMatchObject({
      mimeType: 'text/markdown',
      wordCount: 5,
    });
    const thumbnail = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${created.id}/thumbnail`, headers: { authorization: `Bearer ${key}` } });
    expect((await sharp(thumbnail.rawPayload).metadata()).width).toBe(320);
  });

  it('refuses without a key or write scope, over GRAPHQL_UPLOAD_LIMIT_BYTES, empty, or not a file', async () => {
    const key = await t.newKey();
    const codeOf = (r: Awaited<ReturnType<typeof uploadFile>>) => r.errors?.[0]?.extensions.code;
    expect(codeOf(await uploadFile(null, 'hello'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await uploadFile(await t.newKey(['read:assets']), 'hello'))).toBe('FORBIDDEN');
    const empty = await uploadFile(key, '');
    expect(empty.errors?.[0]).toMatchObject({ message: 'The file is empty', extensions: { code: 'BAD_USER_INPUT', field: 'file' } });
    const over = await uploadFile(key, Buffer.alloc(uploadLimit + 1, 'a'));
    expect(over.status).toBe(413);
    expect(over.errors?.[0]?.message).toMatch(/File size limit exceeded: 262144 bytes/);
    expect((await uploadFile(key, Buffer.alloc(uploadLimit, 'a'))).data?.uploadFile.fileSize).toBe(uploadLimit);
    const notAFile = await graphql(t.app, key, UploadFile, { file: 'just a string' as never });
    expect(notAFile.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'file' } });
  });

  it("names the field when the file does not fit: another workspace's upload, a mismatched type", async () => {
    const key = await t.newKey();
    const theirs = await uploadFile(await t.newKey(), await makePdf([['x']]), 'theirs.pdf');
    const foreign = await graphql(t.app, key, CreateFromFile, { input: { title: 'x', assetType: 'PDF' as never, filePath: theirs.data!.uploadFile.filePath } });
    expect(foreign.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'filePath' } });
    const mismatched = await createFromFile(key, 'AUDIO', await makePdf([['x']]), 'not-audio.pdf');
    expect(mismatched.errors?.[0]).toMatchObject({
      message: 'The file is application/pdf, which does not fit asset type audio',
      extensions: { code: 'BAD_USER_INPUT', field: 'assetType' },
    });
  });
});
