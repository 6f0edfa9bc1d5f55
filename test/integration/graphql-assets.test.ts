import { describe, expect, it } from 'vitest';
import { graphql as gql } from '../../src/generated/graphql/index.ts';
import type { AssetType } from '../../src/generated/graphql/graphql.ts';
import { expectData, graphql, useTestApp } from '../helpers/app.ts';

const t = useTestApp();

const CreateAsset = gql(`
  mutation CreateAsset($input: CreateAssetInput!) {
    createAsset(input: $input) {
      __typename id title slug description assetType isPublic downloadCount createdAt updatedAt
      ... on FileAsset { filePath fileSize mimeType }
      ... on PdfAsset { pageCount wordCount }
      ... on ImageAsset { width height }
      ... on ExternalVideoAsset { externalUrl videoEmbed }
      ... on LinkAsset { externalUrl }
    }
  }
`);

const ListAssets = gql(`
  query ListAssets($page: Int, $perPage: Int, $filter: AssetFilter, $sort: AssetSort, $order: SortOrder) {
    assets(page: $page, perPage: $perPage, filter: $filter, sort: $sort, order: $order) {
      page perPage total totalPages
      items { id title slug assetType createdAt updatedAt }
    }
  }
`);

const GetAsset = gql(`
  query GetAsset($id: ID!) { asset(id: $id) { __typename id title } }
`);

const typeNames: Record<AssetType, string> = {
  PDF: 'PdfAsset',
  DOCUMENT: 'DocumentAsset',
  IMAGE: 'ImageAsset',
  VIDEO: 'VideoAsset',
  EXTERNAL_VIDEO: 'ExternalVideoAsset',
  AUDIO: 'AudioAsset',
  LINK: 'LinkAsset',
  COLLECTION: 'CollectionAsset',
  GIT: 'GitAsset',
};

describe('createAsset', () => {
  it('creates one asset of every type, each as its own GraphQL type', async () => {
    const key = await t.newKey();
    for (const [assetType, typename] of Object.entries(typeNames) as [AssetType, string][]) {
      const needsUrl = assetType === 'LINK' || assetType === 'EXTERNAL_VIDEO';
      const data = expectData(
        await graphql(t.app, key, CreateAsset, {
          input: {
            title: `  A ${assetType.toLowerCase()} asset  `,
            assetType,
            description: 'made by the test',
            ...(needsUrl ? { externalUrl: 'https://youtu.be/xyz' } : {}),
          },
        }),
        assetType,
      );
      expect(data.createAsset).toMatchObject({
        __typename: typename,
        title: `A ${assetType.toLowerCase()} asset`,
        slug: `a-${assetType.toLowerCase().replace('_', '-')}-asset`,
        assetType,
        isPublic: false,
        downloadCount: 0,
      });
    }
    const list = expectData(await graphql(t.app, key, ListAssets, { perPage: 100 }));
    expect(list.assets.total).toBe(9);
  });

  it('derives video_embed for YouTube and Vimeo, and none for other hosts', async () => {
    const key = await t.newKey();
    const cases = [
      ['https://youtube.com/watch?v=example', 'https://youtube.com/embed/example'],
      ['https://www.youtube.com/watch?v=abc123&t=5', 'https://youtube.com/embed/abc123?start=5'],
      ['https://youtu.be/xyz', 'https://youtube.com/embed/xyz'],
      ['https://vimeo.com/76979871', 'https://player.vimeo.com/video/76979871'],
      ['https://example.com/video.mp4', null],
    ] as const;
    for (const [externalUrl, videoEmbed] of cases) {
      const data = expectData(await graphql(t.app, key, CreateAsset, { input: { title: 'Video', assetType: 'EXTERNAL_VIDEO', externalUrl } }));
      expect(data.createAsset).toMatchObject({ externalUrl, videoEmbed });
    }
  });

  it('names the field of every validation failure', async () => {
    const key = await t.newKey();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ assetType: 'PDF' }, 'title', 'Title is required'],
      [{ title: '', assetType: 'PDF' }, 'title', 'Title is required'],
      [{ title: '   ', assetType: 'PDF' }, 'title', 'Title is required'],
      [{ title: 'x'.repeat(501), assetType: 'PDF' }, 'title', 'Title must be at most 500 characters'],
      [{ title: 5, assetType: 'PDF' }, 'title', 'Title must be a string'],
      [{ title: 'Ok' }, 'assetType', 'Asset type is required'],
      [{ title: 'Ok', assetType: 'SPREADSHEET' }, 'assetType', 'Asset type must be one of:'],
      [{ title: 'Ok', assetType: 'LINK' }, 'externalUrl', 'External URL is required for link assets'],
      [{ title: 'Ok', assetType: 'EXTERNAL_VIDEO' }, 'externalUrl', 'External URL is required for external_video assets'],
      [{ title: 'Ok', assetType: 'LINK', externalUrl: 'ftp://example.com/x' }, 'externalUrl', 'External URL must be an absolute http or https URL'],
      [{ title: 'Ok', assetType: 'LINK', externalUrl: '/relative' }, 'externalUrl', 'External URL must be an absolute http or https URL'],
      [{ title: 'Ok', assetType: 'PDF', isPublic: 'yes' }, 'isPublic', 'Is public must be true or false'],
      [
        { title: 'Ok', assetType: 'PDF', filePath: '/etc/passwd' },
        'filePath',
        'File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)',
      ],
      [
        { title: 'Ok', assetType: 'PDF', filePath: '/uploads/../etc/passwd' },
        'filePath',
        'File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)',
      ],
      [{ title: 'Ok', assetType: 'PDF', colour: 'red' }, 'colour', 'Unknown field colour'],
    ];
    for (const [input, field, message] of cases) {
      const response = await graphql(t.app, key, CreateAsset, { input: input as never });
      expect(response.errors, JSON.stringify(input)).toHaveLength(1);
      const [error] = response.errors!;
      expect(error.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message).toContain(message);
    }
    const notAnObject = await graphql(t.app, key, CreateAsset, { input: 'title=x' as never });
    expect(notAnObject.errors?.[0]).toMatchObject({ message: 'Input must be an object', extensions: { code: 'BAD_USER_INPUT', field: 'input' } });
    expect(expectData(await graphql(t.app, key, ListAssets, {})).assets.total).toBe(0);
  });

  it('accepts a title of exactly 500 characters, counted as characters', async () => {
    const key = await t.newKey();
    const title = 'é'.repeat(499) + '😀';
    const data = expectData(await graphql(t.app, key, CreateAsset, { input: { title, assetType: 'PDF' } }));
    expect(data.createAsset.title).toBe(title);
  });

  it('gives 50 concurrent creates with the same title 50 distinct slugs', async () => {
    const key = await t.newKey();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => graphql(t.app, key, CreateAsset, { input: { title: 'Launch Video', assetType: 'VIDEO' } })),
    );
    const slugs = responses.map((r) => expectData(r).createAsset.slug);
    expect(new Set(slugs).size).toBe(50);
    expect([...slugs].sort()).toEqual(['launch-video', ...Array.from({ length: 49 }, (_, i) => `launch-video-${i + 2}`)].sort());
  });

  it('keeps slugs unique when another title already took the next suffix', async () => {
    const key = await t.newKey();
    const slugOf = async (title: string) => expectData(await graphql(t.app, key, CreateAsset, { input: { title, assetType: 'PDF' } })).createAsset.slug;
    expect(await slugOf('Guide 2')).toBe('guide-2');
    expect(await slugOf('Guide')).toBe('guide');
    expect(await slugOf('Guide')).toBe('guide-3');
    expect(await slugOf('!!!')).toBe('asset');
  });
});

describe('assets', () => {
  it('clamps perPage at 100 and refuses pages below 1, naming the field', async () => {
    const key = await t.newKey();
    const page = expectData(await graphql(t.app, key, ListAssets, { perPage: 1000 }));
    expect(page.assets.perPage).toBe(100);
    for (const [variables, field] of [
      [{ page: 0 }, 'page'],
      [{ perPage: 0 }, 'perPage'],
      [{ perPage: -5 }, 'perPage'],
    ] as const) {
      const response = await graphql(t.app, key, ListAssets, variables as { page?: number; perPage?: number });
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const wrongType = await graphql(t.app, key, ListAssets, { perPage: 'abc' as never });
    expect(wrongType.errors?.[0]).toMatchObject({
      message: 'Per page must be an integer',
      extensions: { code: 'BAD_USER_INPUT', field: 'perPage' },
    });
  });

  it('gets one asset by id, and null for an unknown id', async () => {
    const key = await t.newKey();
    const created = expectData(await graphql(t.app, key, CreateAsset, { input: { title: 'One', assetType: 'IMAGE' } }));
    const found = expectData(await graphql(t.app, key, GetAsset, { id: created.createAsset.id }));
    expect(found.asset).toEqual({ __typename: 'ImageAsset', id: created.createAsset.id, title: 'One' });
    const missing = expectData(await graphql(t.app, key, GetAsset, { id: '00000000-0000-4000-8000-000000000000' }));
    expect(missing.asset).toBeNull();
    // Ids are opaque to clients: one that is not even a UUID names nothing either.
    const malformed = expectData(await graphql(t.app, key, GetAsset, { id: 'not-a-uuid' }));
    expect(malformed.asset).toBeNull();
  });
});
