// The raw-SQL baseline: node:http + one prepared statement + JSON.stringify. The physical limit.
//   node baseline-server.mjs     env PORT, HOST, BENCH_KEYS (comma-separated), BENCH_WORKSPACE_ID, BENCH_WRITE_WORKSPACE_ID, and DATABASE_URL (pg pool) or
//                                PGLITE_DIR (PGlite in-process on that data dir's pglite/)
// Routes: GET /assets?per_page&page&asset_type&search, GET /assets/:id, POST /assets.
// Auth is a set lookup of the bearer key in BENCH_KEYS (no database lookup).
import { createServer } from 'node:http';
import { join } from 'node:path';

const port = Number(process.env.PORT || 5679);
const host = process.env.HOST || '127.0.0.1';
const accepted = new Set(
  (process.env.BENCH_KEYS || '')
    .split(',')
    .filter(Boolean)
    .map((k) => `Bearer ${k}`),
);

const cols = `a.id, a.title, a.slug, a.asset_type, a.created_at, l.id AS lib_id, l.name AS lib_name
  FROM assets a LEFT JOIN libraries l ON l.id = a.library_id`;
const SQL = {
  list: `SELECT ${cols} WHERE a.workspace_id = $1 AND a.deleted_at IS NULL
         ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
  search: `SELECT ${cols} WHERE a.workspace_id = $1 AND a.deleted_at IS NULL AND a.asset_type = $4::asset_type
         AND (a.title ILIKE $5 OR a.description ILIKE $5)
         ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
  get: `SELECT ${cols} WHERE a.workspace_id = $1 AND a.deleted_at IS NULL AND a.id = $2`,
  create: `INSERT INTO assets (id, workspace_id, title, slug, asset_type, external_url)
           VALUES (gen_random_uuid(), $1, $2, $3, $4::asset_type, $5) RETURNING id, slug`,
};

let query;
if (process.env.PGLITE_DIR) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  // The gateway's embedded-database settings (src/db/engine.ts), so both read through the same buffers.
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${process.env.PGLITE_SHARED_BUFFERS}`];
  const db = await PGlite.create(join(process.env.PGLITE_DIR, 'pglite'), { extensions: { pg_trgm }, startParams });
  query = async (name, values) => (await db.query(SQL[name], values)).rows;
  process.on('SIGTERM', () => db.close().finally(() => process.exit(0)));
} else {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE || 10) });
  query = async (name, values) => (await pool.query({ name, text: SQL[name], values })).rows;
  process.on('SIGTERM', () => pool.end().finally(() => process.exit(0)));
}
const workspaceId = process.env.BENCH_WORKSPACE_ID;
const writeWorkspaceId = process.env.BENCH_WRITE_WORKSPACE_ID;

const toAsset = (r) => ({
  id: r.id,
  title: r.title,
  slug: r.slug,
  assetType: r.asset_type,
  createdAt: r.created_at,
  library: r.lib_id ? { id: r.lib_id, name: r.lib_name } : null,
});
function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
let seq = 0;
createServer(async (req, res) => {
  try {
    if (!accepted.has(req.headers.authorization)) return send(res, 401, { success: false });
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/assets') {
      const perPage = Math.min(Number(url.searchParams.get('per_page') || 20), 100);
      const page = Number(url.searchParams.get('page') || 1);
      const type = url.searchParams.get('asset_type');
      const search = url.searchParams.get('search');
      const rows =
        type && search
          ? await query('search', [workspaceId, perPage, (page - 1) * perPage, type, `%${search.replace(/[\\%_]/g, '\\$&')}%`])
          : await query('list', [workspaceId, perPage, (page - 1) * perPage]);
      return send(res, 200, { success: true, data: rows.map(toAsset) });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) {
      const rows = await query('get', [workspaceId, url.pathname.slice(8)]);
      return rows.length ? send(res, 200, { success: true, data: toAsset(rows[0]) }) : send(res, 404, { success: false });
    }
    if (req.method === 'POST' && url.pathname === '/assets') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const input = JSON.parse(body);
      const slug = `${input.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${process.pid}-${++seq}`;
      const rows = await query('create', [writeWorkspaceId, input.title, slug, input.assetType, input.externalUrl]);
      return send(res, 200, { success: true, data: rows[0] });
    }
    send(res, 404, { success: false });
  } catch (error) {
    send(res, 500, { success: false, error: String(error) });
  }
}).listen(port, host, () => console.error(`baseline on http://${host}:${port}`));
