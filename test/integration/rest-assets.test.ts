import { describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/auth/keys.ts';
import { rest } from '../helpers/rest.ts';
import { useTestApp } from '../helpers/app.ts';

const t = useTestApp();

const restAssetFields = [
  'id',
  'title',
  'slug',
  'description',
  'asset_type',
  'file_path',
  'file_size',
  'mime_type',
  'checksum_sha256',
  'thumbnail_path',
  'page_count',
  'word_count',
  'width',
  'height',
  'duration_seconds',
  'external_url',
  'video_embed',
  'download_count',
  'is_public',
  'library_id',
  'created_at',
  'updated_at',
  // Added by issue 21: an image's or PDF's placeholder, null for other assets.
  'placeholder',
];

describe('POST /api/v1/assets', () => {
  it('creates the spec example with 201 and every field present, ignoring read-only fields', async () => {
    const key = await t.newKey();
    const response = await rest(t.app, key, 'post', '/api/v1/assets', {
      json: {
        title: 'New Product Demo',
        description: 'Video demonstration of our latest product',
        asset_type: 'external_video',
        external_url: 'https://youtube.com/watch?v=example',
        is_public: true,
        id: '550e8400-e29b-41d4-a716-446655440000',
        slug: 'chosen-by-client',
        download_count: 999,
      },
    });
    expect(response.status).toBe(201);
    expect(response.body.success).toBe(true);
    expect(Object.keys(response.body.data)).toEqual(restAssetFields);
    expect(response.body.data).toMatchObject({
      title: 'New Product Demo',
      slug: 'new-product-demo',
      asset_type: 'external_video',
      external_url: 'https://youtube.com/watch?v=example',
      video_embed: 'https://youtube.com/embed/example',
      is_public: true,
      download_count: 0,
      file_size: null,
      page_count: null,
    });
    expect(response.body.data.id).not.toBe('550e8400-e29b-41d4-a716-446655440000');
    expect(response.body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    const fetched = await rest(t.app, key, 'get', `/api/v1/assets/${response.body.data.id}`);
    expect(fetched).toMatchObject({ status: 200, body: { success: true, data: response.body.data } });
  });
});

describe('GET /api/v1/assets', () => {
  it('pages with the spec envelope, clamps per_page at 100, and counts total_pages', async () => {
    const key = await t.newKey();
    for (let i = 0; i < 25; i++) {
      const type = i % 5 === 0 ? 'pdf' : 'image';
      expect((await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: `Item ${i}`, asset_type: type } })).status).toBe(201);
    }
    const first = await rest(t.app, key, 'get', '/api/v1/assets');
    expect(first.body.pagination).toEqual({ page: 1, per_page: 20, total: 25, total_pages: 2 });
    expect(first.body.data).toHaveLength(20);
    const pdfs = await rest(t.app, key, 'get', '/api/v1/assets?asset_type=pdf&per_page=2&page=2');
    expect(pdfs.body.pagination).toEqual({ page: 2, per_page: 2, total: 5, total_pages: 3 });
    expect(pdfs.body.data.every((a: { asset_type: string }) => a.asset_type === 'pdf')).toBe(true);
    const clamped = await rest(t.app, key, 'get', '/api/v1/assets?per_page=1000');
    expect(clamped.body.pagination).toEqual({ page: 1, per_page: 100, total: 25, total_pages: 1 });
    const byTitle = await rest(t.app, key, 'get', '/api/v1/assets?sort=title&order=asc&search=item%202');
    expect(byTitle.body.data.map((a: { title: string }) => a.title)).toEqual(['Item 2', 'Item 20', 'Item 21', 'Item 22', 'Item 23', 'Item 24']);
  });
});

describe('bad inputs through REST', () => {
  it('each answers its documented status and body, never 500', async () => {
    const key = await t.newKey();
    const readOnly = await t.newKey(['read:assets']);
    const revoked = await t.newKey();
    await revokeApiKey(t.database.db, revoked.slice(0, 16));
    const otherWorkspace = await t.newKey();
    const foreign = await rest(t.app, otherWorkspace, 'post', '/api/v1/assets', { json: { title: 'Theirs', asset_type: 'pdf' } });
    const valid = { title: 'Fine', asset_type: 'pdf' };

    type Case = [name: string, call: () => ReturnType<typeof rest>, status: number, body: Record<string, unknown>];
    const validation = (message: string, field?: string) => ({ error: 'Validation failed', message, ...(field ? { field } : {}) });
    const post =
      (json: unknown, k: string | null = key) =>
      () =>
        rest(t.app, k, 'post', '/api/v1/assets', { json });
    const list =
      (query: string, k: string | null = key) =>
      () =>
        rest(t.app, k, 'get', `/api/v1/assets?${query}`);
    const unauthorized = { error: 'Unauthorized', message: 'A valid API key is required (Authorization: Bearer <key>)' };

    const cases: Case[] = [
      ['missing title', post({ asset_type: 'pdf' }), 400, validation('Title is required', 'title')],
      ['empty title', post({ title: '', asset_type: 'pdf' }), 400, validation('Title is required', 'title')],
      ['blank title', post({ title: '  \t ', asset_type: 'pdf' }), 400, validation('Title is required', 'title')],
      ['null title', post({ title: null, asset_type: 'pdf' }), 400, validation('Title is required', 'title')],
      ['over-long title', post({ title: 'x'.repeat(501), asset_type: 'pdf' }), 400, validation('Title must be at most 500 characters', 'title')],
      ['title a number', post({ title: 42, asset_type: 'pdf' }), 400, validation('Title must be a string', 'title')],
      ['title an object', post({ title: { a: 1 }, asset_type: 'pdf' }), 400, validation('Title must be a string', 'title')],
      ['missing asset_type', post({ title: 'x' }), 400, validation('Asset type is required', 'asset_type')],
      [
        'unknown asset_type',
        post({ title: 'x', asset_type: 'spreadsheet' }),
        400,
        validation('Asset type must be one of: pdf, document, image, video, external_video, audio, link, collection, git', 'asset_type'),
      ],
      [
        'asset_type a number',
        post({ title: 'x', asset_type: 3 }),
        400,
        validation('Asset type must be one of: pdf, document, image, video, external_video, audio, link, collection, git', 'asset_type'),
      ],
      ['link without external_url', post({ title: 'x', asset_type: 'link' }), 400, validation('External URL is required for link assets', 'external_url')],
      [
        'external_video without external_url',
        post({ title: 'x', asset_type: 'external_video' }),
        400,
        validation('External URL is required for external_video assets', 'external_url'),
      ],
      [
        'non-http external_url',
        post({ title: 'x', asset_type: 'link', external_url: 'javascript:alert(1)' }),
        400,
        validation('External URL must be an absolute http or https URL', 'external_url'),
      ],
      [
        'relative external_url',
        post({ title: 'x', asset_type: 'link', external_url: 'example.com' }),
        400,
        validation('External URL must be an absolute http or https URL', 'external_url'),
      ],
      ['is_public a string', post({ ...valid, is_public: 'true' }), 400, validation('Is public must be true or false', 'is_public')],
      ['description a number', post({ ...valid, description: 7 }), 400, validation('Description must be a string', 'description')],
      [
        'file_path outside uploads',
        post({ ...valid, file_path: '../../etc/passwd' }),
        400,
        validation('File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)', 'file_path'),
      ],
      [
        'file_path under /uploads/ but not an upload',
        post({ ...valid, file_path: '/uploads/guide.pdf' }),
        400,
        validation('File path must be one returned by an upload to this workspace (POST /api/v1/uploads or uploadFile)', 'file_path'),
      ],
      ['body an array', post([valid]), 400, validation('The request body must be a JSON object')],
      ['body a string', post('hello'), 400, validation('The request body must be a JSON object')],
      ['body null', post(null), 400, validation('The request body must be a JSON object')],
      [
        'malformed JSON',
        () => rest(t.app, key, 'post', '/api/v1/assets', { payload: '{"title": "x",', headers: { 'content-type': 'application/json' } }),
        400,
        validation('The request body is not valid JSON'),
      ],
      [
        'empty JSON body',
        () => rest(t.app, key, 'post', '/api/v1/assets', { payload: '', headers: { 'content-type': 'application/json' } }),
        400,
        validation('The request body is empty; send a JSON object'),
      ],
      [
        'prototype pollution',
        () =>
          rest(t.app, key, 'post', '/api/v1/assets', {
            payload: '{"title":"x","asset_type":"pdf","__proto__":{"isAdmin":true}}',
            headers: { 'content-type': 'application/json' },
          }),
        400,
        validation('The request body is not valid JSON'),
      ],
      [
        'text/plain body',
        () => rest(t.app, key, 'post', '/api/v1/assets', { payload: 'title=x', headers: { 'content-type': 'text/plain' } }),
        415,
        { error: 'Unsupported media type', message: 'Content-Type must be application/json' },
      ],
      [
        'form body',
        () => rest(t.app, key, 'post', '/api/v1/assets', { payload: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        { error: 'Unsupported media type', message: 'Content-Type must be application/json' },
      ],
      [
        'no Content-Type',
        () => rest(t.app, key, 'post', '/api/v1/assets', { payload: '{"title":"x"}' }),
        415,
        { error: 'Unsupported media type', message: 'Content-Type must be application/json' },
      ],
      [
        'huge body',
        () => rest(t.app, key, 'post', '/api/v1/assets', { json: { ...valid, description: 'x'.repeat(2 * 1024 * 1024) } }),
        413,
        { error: 'Payload too large', message: 'Request body is larger than 1048576 bytes' },
      ],
      ['read-only key creates', post(valid, readOnly), 403, { error: 'Insufficient permissions', message: 'API key does not have write:assets scope' }],
      ['no key', post(valid, null), 401, unauthorized],
      ['no key on list', list('', null), 401, unauthorized],
      ['malformed key', list('', 'not-a-key'), 401, unauthorized],
      ['unknown key', list('', key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')), 401, unauthorized],
      ['revoked key', list('', revoked), 401, unauthorized],
      ['revoked key creates', post(valid, revoked), 401, unauthorized],
      [
        'Basic auth',
        () => rest(t.app, null, 'get', '/api/v1/assets', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
        401,
        unauthorized,
      ],
      ['page=0', list('page=0'), 400, validation('Page must be an integer of at least 1', 'page')],
      ['page=-1', list('page=-1'), 400, validation('Page must be an integer of at least 1', 'page')],
      ['page=1.5', list('page=1.5'), 400, validation('Page must be an integer', 'page')],
      ['page=abc', list('page=abc'), 400, validation('Page must be an integer', 'page')],
      ['page empty', list('page='), 400, validation('Page must be an integer', 'page')],
      ['page huge', list('page=99999999999999999999'), 400, validation('Page must be an integer', 'page')],
      ['per_page=abc', list('per_page=abc'), 400, validation('Per page must be an integer', 'per_page')],
      ['per_page=0', list('per_page=0'), 400, validation('Per page must be an integer of at least 1', 'per_page')],
      ['per_page twice', list('per_page=1&per_page=2'), 400, validation('Per page must be an integer', 'per_page')],
      [
        'unknown asset_type filter',
        list('asset_type=movie'),
        400,
        validation('Asset type must be one of: pdf, document, image, video, external_video, audio, link, collection, git', 'asset_type'),
      ],
      ['unknown sort', list('sort=size'), 400, validation('Sort must be one of: created_at, title, updated_at', 'sort')],
      ['unknown order', list('order=up'), 400, validation('Order must be one of: asc, desc', 'order')],
      [
        'another workspace’s id',
        () => rest(t.app, key, 'get', `/api/v1/assets/${foreign.body.data.id}`),
        404,
        { error: 'Not found', message: 'Asset not found' },
      ],
      [
        'unknown id',
        () => rest(t.app, key, 'get', '/api/v1/assets/00000000-0000-4000-8000-000000000000'),
        404,
        { error: 'Not found', message: 'Asset not found' },
      ],
      ['malformed id', () => rest(t.app, key, 'get', '/api/v1/assets/123'), 404, { error: 'Not found', message: 'Asset not found' }],
      [
        'SQL in id',
        () => rest(t.app, key, 'get', `/api/v1/assets/${encodeURIComponent("1' OR '1'='1")}`),
        404,
        { error: 'Not found', message: 'Asset not found' },
      ],
      ['malformed id without key', () => rest(t.app, null, 'get', '/api/v1/assets/123'), 401, unauthorized],
    ];
    const seen: string[] = [];
    for (const [name, call, status, body] of cases) {
      const response = await call();
      expect({ name, status: response.status, body: response.body }).toEqual({ name, status, body });
      seen.push(name);
    }
    expect(seen).toHaveLength(cases.length);
    // None of the refused creates stored anything.
    const listed = await rest(t.app, key, 'get', '/api/v1/assets');
    expect(listed.body.pagination.total).toBe(0);
  });

  it('on the manage, library and collection routes each answers its documented status and body, never 500', async () => {
    const key = await t.newKey(['read:assets', 'write:assets', 'read:libraries', 'write:libraries']);
    const asset = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Target', asset_type: 'pdf' } })).body.data;
    const box = (await rest(t.app, key, 'post', '/api/v1/assets', { json: { title: 'Box', asset_type: 'collection' } })).body.data;
    const library = (await rest(t.app, key, 'post', '/api/v1/libraries', { json: { name: 'Shelf' } })).body.data;

    type Case = [name: string, call: () => ReturnType<typeof rest>, status: number, body: Record<string, unknown>];
    const validation = (message: string, field?: string) => ({ error: 'Validation failed', message, ...(field ? { field } : {}) });
    const raw =
      (method: 'post' | 'patch' | 'put', url: string, payload: string, contentType = 'application/json') =>
      () =>
        rest(t.app, key, method, url, { payload, headers: { 'content-type': contentType } });
    const call =
      (method: 'get' | 'post' | 'patch' | 'put' | 'delete', url: string, json?: unknown, k: string | null = key) =>
      () =>
        rest(t.app, k, method, url, json === undefined ? {} : { json });
    const notFound = (message: string) => ({ error: 'Not found', message });
    const notJson = { error: 'Unsupported media type', message: 'Content-Type must be application/json' };
    const unauthorized = { error: 'Unauthorized', message: 'A valid API key is required (Authorization: Bearer <key>)' };
    const huge = { title: 'x', description: 'x'.repeat(2 * 1024 * 1024) };

    const cases: Case[] = [
      ['PATCH text/plain', raw('patch', `/api/v1/assets/${asset.id}`, 'title=x', 'text/plain'), 415, notJson],
      ['PATCH malformed JSON', raw('patch', `/api/v1/assets/${asset.id}`, '{"title":'), 400, validation('The request body is not valid JSON')],
      ['PATCH body an array', call('patch', `/api/v1/assets/${asset.id}`, [{ title: 'x' }]), 400, validation('The request body must be a JSON object')],
      [
        'PATCH huge body',
        call('patch', `/api/v1/assets/${asset.id}`, huge),
        413,
        { error: 'Payload too large', message: 'Request body is larger than 1048576 bytes' },
      ],
      ['PATCH title a number', call('patch', `/api/v1/assets/${asset.id}`, { title: 7 }), 400, validation('Title must be a string', 'title')],
      [
        'PATCH library_id a number',
        call('patch', `/api/v1/assets/${asset.id}`, { library_id: 7 }),
        400,
        validation('Library not found in your workspace', 'library_id'),
      ],
      [
        'PATCH library_id an object',
        call('patch', `/api/v1/assets/${asset.id}`, { library_id: { id: 1 } }),
        400,
        validation('Library ID must be a string', 'library_id'),
      ],
      ['PATCH malformed id', call('patch', '/api/v1/assets/123', { title: 'x' }), 404, notFound('Asset not found')],
      ['PATCH without key', call('patch', `/api/v1/assets/${asset.id}`, { title: 'x' }, null), 401, unauthorized],
      ['DELETE malformed id', call('delete', '/api/v1/assets/123'), 404, notFound('Asset not found')],
      ['DELETE SQL in id', call('delete', `/api/v1/assets/${encodeURIComponent("1' OR '1'='1")}`), 404, notFound('Asset not found')],
      ['DELETE without key', call('delete', `/api/v1/assets/${asset.id}`, undefined, null), 401, unauthorized],
      ['restore malformed id', call('post', '/api/v1/assets/123/restore'), 404, notFound('Asset not found')],
      [
        'POST library_id unknown',
        call('post', '/api/v1/assets', { title: 'x', asset_type: 'pdf', library_id: 'nope' }),
        400,
        validation('Library not found in your workspace', 'library_id'),
      ],
      ['library without name', call('post', '/api/v1/libraries', { description: 'x' }), 400, validation('Name is required', 'name')],
      ['library blank name', call('post', '/api/v1/libraries', { name: ' ' }), 400, validation('Name is required', 'name')],
      ['library name a number', call('post', '/api/v1/libraries', { name: 5 }), 400, validation('Name must be a string', 'name')],
      ['library name too long', call('post', '/api/v1/libraries', { name: 'x'.repeat(201) }), 400, validation('Name must be at most 200 characters', 'name')],
      ['library PATCH null name', call('patch', `/api/v1/libraries/${library.id}`, { name: null }), 400, validation('Name is required', 'name')],
      ['library form body', raw('post', '/api/v1/libraries', 'name=x', 'application/x-www-form-urlencoded'), 415, notJson],
      ['library body a string', call('post', '/api/v1/libraries', 'x'), 400, validation('The request body must be a JSON object')],
      ['libraries page=0', call('get', '/api/v1/libraries?page=0'), 400, validation('Page must be an integer of at least 1', 'page')],
      ['libraries per_page=abc', call('get', '/api/v1/libraries?per_page=abc'), 400, validation('Per page must be an integer', 'per_page')],
      ['library malformed id', call('get', '/api/v1/libraries/123'), 404, notFound('Library not found')],
      ['library PATCH malformed id', call('patch', '/api/v1/libraries/123', { name: 'x' }), 404, notFound('Library not found')],
      ['library DELETE malformed id', call('delete', '/api/v1/libraries/123'), 404, notFound('Library not found')],
      ['library assets malformed id', call('get', '/api/v1/libraries/123/assets'), 404, notFound('Library not found')],
      [
        'library assets unknown sort',
        call('get', `/api/v1/libraries/${library.id}/assets?sort=size`),
        400,
        validation('Sort must be one of: created_at, title, updated_at', 'sort'),
      ],
      [
        'library assets unknown asset_type',
        call('get', `/api/v1/libraries/${library.id}/assets?asset_type=movie`),
        400,
        validation('Asset type must be one of: pdf, document, image, video, external_video, audio, link, collection, git', 'asset_type'),
      ],
      ['library assets page=abc', call('get', `/api/v1/libraries/${library.id}/assets?page=abc`), 400, validation('Page must be an integer', 'page')],
      ['libraries without key', call('get', '/api/v1/libraries', undefined, null), 401, unauthorized],
      ['items page=0', call('get', `/api/v1/assets/${box.id}/items?page=0`), 400, validation('Page must be an integer of at least 1', 'page')],
      ['items malformed collection id', call('get', '/api/v1/assets/123/items'), 404, notFound('Collection not found')],
      ['items body an array', call('post', `/api/v1/assets/${box.id}/items`, [asset.id]), 400, validation('The request body must be a JSON object')],
      ['items text/plain', raw('post', `/api/v1/assets/${box.id}/items`, 'x', 'text/plain'), 415, notJson],
      ['items asset_ids null', call('post', `/api/v1/assets/${box.id}/items`, { asset_ids: null }), 400, validation('Asset IDs is required', 'asset_ids')],
      [
        'items asset_ids a number list',
        call('post', `/api/v1/assets/${box.id}/items`, { asset_ids: [1.5] }),
        400,
        validation('Asset IDs must be a string', 'asset_ids'),
      ],
      [
        'items too many ids',
        call('post', `/api/v1/assets/${box.id}/items`, { asset_ids: Array.from({ length: 1001 }, (_, i) => `id-${i}`) }),
        400,
        validation('At most 1000 asset IDs per call', 'asset_ids'),
      ],
      ['remove malformed member', call('delete', `/api/v1/assets/${box.id}/items/123`), 400, validation('Asset 123 is not in the collection', 'asset_ids')],
      ['reorder malformed JSON', raw('put', `/api/v1/assets/${box.id}/items/order`, '['), 400, validation('The request body is not valid JSON')],
    ];
    for (const [name, run, status, body] of cases) {
      const response = await run();
      expect({ name, status: response.status, body: response.body }).toEqual({ name, status, body });
    }
    // Nothing the refusals touched changed.
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${asset.id}`)).body.data).toEqual(asset);
    expect((await rest(t.app, key, 'get', `/api/v1/libraries/${library.id}`)).body.data).toEqual(library);
    expect((await rest(t.app, key, 'get', '/api/v1/libraries')).body.pagination.total).toBe(1);
    expect((await rest(t.app, key, 'get', `/api/v1/assets/${box.id}/items`)).body.pagination.total).toBe(0);
  });

  it('answers unknown routes under /api/v1 in the catalog shape', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'Not found', message: 'No route GET /api/v1/nothing' });
  });
});
