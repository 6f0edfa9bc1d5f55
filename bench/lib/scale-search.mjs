// Content search at scale, the search part of `npm run bench:scale` (README.md): a workspace of
// BENCH_SEARCH_ASSETS assets of which BENCH_SEARCH_CONTENT_ASSETS carry ~2 KB of text, searched
// through the gateway's GET /api/v1/search, beside the same questions asked as a plain ILIKE over
// the stored text (straight to the database: the baseline pays no HTTP), request by request in
// alternating order; then creates per second with the search triggers on and off, round by round.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT, dbUrlFor, rootScript } from './pgsetup.mjs';
import { median, peakRssMb, startFlags, startNodeServer } from './servers.mjs';

export const SEARCH_WORKSPACE_ID = '5ea7c400-0000-4000-8000-000000000001';

/**
 * The data, in SQL both engines run. Titles and descriptions hold words of a 960-word made-up
 * vocabulary; each text ~300 of them drawn with a skewed (cubic) distribution, so a few words are
 * in nearly every text and most in few, plus the words the queries look for, at known rates:
 * `zanzibar` in one text in 10,000, `quarterly` in one in 10, the phrase `churn numbers` in one in
 * 100 (and `churn`, `numbers` apart in others).
 */
const syllables = [
  ['be', 'da', 'ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'xe', 'zu'],
  ['de', 'ko', 'li', 'mu', 'ne', 'po', 'ra', 'si', 'ta', 'vu'],
  ['k', 'l', 'm', 'n', 'r', 's', 't', 'x'],
];
/** Word k (0 to 959) of the vocabulary, spelled from three syllables: no table, nothing to look up per word. */
const word = (k) => {
  const [a, b, c] = syllables.map((list) => `(ARRAY[${list.map((x) => `'${x}'`).join(',')}])`);
  return `(${a}[1 + (${k}) / 80] || ${b}[1 + ((${k}) / 8) % 10] || ${c}[1 + (${k}) % 8])`;
};

export function searchSeedSql(assets, contentAssets) {
  const bodyWords = `char_length(w) BETWEEN 3 AND 40 AND w ~ '[[:alpha:]]'`;
  return `
INSERT INTO workspaces (id, slug, name) VALUES ('${SEARCH_WORKSPACE_ID}', 'search', 'Search bench') ON CONFLICT DO NOTHING;
-- What the triggers write row by row, written set by set with the very functions they call (the
-- count trigger too: a million updates of one asset_counts row in one transaction grow quadratically).
ALTER TABLE assets DISABLE TRIGGER assets_search_index;
ALTER TABLE assets DISABLE TRIGGER assets_count_visible;
ALTER TABLE asset_texts DISABLE TRIGGER asset_texts_search_index;
SELECT setseed(0.42);
INSERT INTO assets (id, workspace_id, title, slug, description, asset_type, created_at, updated_at, search_vector)
SELECT gen_random_uuid(), '${SEARCH_WORKSPACE_ID}', title, 'search-' || i, description, asset_type, now() - i * interval '1 second', now(),
  asset_search_vector(search_language(), title, description, NULL)
FROM (
  SELECT i,
    'Asset ' || i || ' ' || ${word('i % 960')} AS title,
    CASE WHEN i % 3 = 0 THEN 'About ' || ${word('(i * 7) % 960')} END AS description,
    (CASE WHEN i <= ${contentAssets} THEN (CASE WHEN i % 2 = 0 THEN 'pdf' ELSE 'document' END)
          ELSE (array['image','link','video','audio'])[1 + i % 4] END)::asset_type AS asset_type
  FROM generate_series(1, ${assets}) i
) s;
INSERT INTO asset_texts (asset_id, pages, paged)
SELECT s.id,
  ARRAY[(SELECT string_agg(${word('r.k')}, ' ') FROM (SELECT floor(960 * power(random(), 3))::int AS k FROM generate_series(1, 300) j WHERE j > s.i * 0) r)
    || CASE WHEN s.i % 10000 = 7 THEN ' zanzibar' ELSE '' END
    || CASE WHEN s.i % 10 = 0 THEN ' quarterly' ELSE '' END
    || CASE WHEN s.i % 100 = 3 THEN ' churn numbers' WHEN s.i % 100 = 50 THEN ' churn' WHEN s.i % 100 = 51 THEN ' numbers' ELSE '' END],
  s.i % 2 = 0
FROM (SELECT id, substr(slug, 8)::int AS i FROM assets WHERE workspace_id = '${SEARCH_WORKSPACE_ID}' AND asset_type IN ('pdf', 'document')) s;
UPDATE assets a SET search_vector = asset_search_vector(search_language(), a.title, a.description, t.pages) FROM asset_texts t WHERE t.asset_id = a.id;
INSERT INTO search_words (workspace_id, word)
SELECT DISTINCT '${SEARCH_WORKSPACE_ID}'::uuid, w FROM (
  SELECT title || ' ' || coalesce(description, '') AS body FROM assets WHERE workspace_id = '${SEARCH_WORKSPACE_ID}'
  UNION ALL SELECT array_to_string(pages, ' ') FROM asset_texts
) b, unnest(tsvector_to_array(to_tsvector('simple', b.body))) AS w
WHERE ${bodyWords}
ON CONFLICT DO NOTHING;
ALTER TABLE assets ENABLE TRIGGER assets_search_index;
ALTER TABLE assets ENABLE TRIGGER assets_count_visible;
ALTER TABLE asset_texts ENABLE TRIGGER asset_texts_search_index;
DELETE FROM asset_counts WHERE workspace_id = '${SEARCH_WORKSPACE_ID}';
INSERT INTO asset_counts (workspace_id, asset_type, visible)
SELECT workspace_id, asset_type, count(*) FROM assets WHERE workspace_id = '${SEARCH_WORKSPACE_ID}' AND deleted_at IS NULL GROUP BY 1, 2;
`;
}

/** The questions: the gateway's search, and the same asked as ILIKE (total, facets by type, first 20 newest). */
export const searchQueries = [
  { name: 'rare word (1 text in 10,000)', q: 'zanzibar', like: '%zanzibar%', target: { postgres: 20, pglite: 30 } },
  { name: 'common word (1 text in 10), first 20 ranked + facets', q: 'quarterly', like: '%quarterly%', target: { postgres: 150 } },
  { name: 'two-word phrase (1 text in 100)', q: '"churn numbers"', like: '%churn numbers%' },
  { name: 'typo of the rare word (fuzzy fallback)', q: 'zanzibra', like: '%zanzibra%' },
  { name: 'the most frequent word (~every text)', q: 'bedek', like: '%bedek%' },
];

const ilikeSql = `
WITH m AS (
  SELECT a.id, a.asset_type, a.created_at FROM assets a LEFT JOIN asset_texts t ON t.asset_id = a.id
  WHERE a.workspace_id = $1 AND a.deleted_at IS NULL
    AND (a.title ILIKE $2 OR a.description ILIKE $2 OR array_to_string(t.pages, ' ') ILIKE $2)
)
SELECT (SELECT json_agg(x) FROM (SELECT asset_type, count(*) FROM m GROUP BY 1) x) AS facets,
       (SELECT json_agg(id) FROM (SELECT id FROM m ORDER BY created_at DESC, id DESC LIMIT 20) p) AS page`;

async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  return { ms: performance.now() - t0, out };
}

/** p50 of the gateway's search and of the ILIKE, taking turns request by request (which goes first alternates). */
async function measurePair({ base, key, client, query, samples, warmup }) {
  const url = `${base}/api/v1/search?q=${encodeURIComponent(query.q)}&per_page=20`;
  const search = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`search ${query.q}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    return body;
  };
  const ilike = client ? () => client.query(ilikeSql, [SEARCH_WORKSPACE_ID, query.like]) : null;
  for (let i = 0; i < warmup; i++) {
    await search();
    if (ilike) await ilike();
  }
  const ms = { search: [], ilike: [] };
  let answer;
  for (let i = 0; i < samples; i++) {
    const order = i % 2 ? ['ilike', 'search'] : ['search', 'ilike'];
    for (const which of order) {
      if (which === 'ilike' && !ilike) continue;
      const { ms: took, out } = await timed(which === 'search' ? search : ilike);
      ms[which].push(took);
      if (which === 'search') answer = out;
    }
  }
  return { search: median(ms.search), ilike: ilike ? median(ms.ilike) : NaN, total: answer.pagination.total, fuzzy: answer.fuzzy };
}

/** Concurrent link creates (title and description: the search trigger's work on every create) for `seconds`: creates per second. */
async function createRate(base, key, seconds) {
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const tag = Date.now().toString(36);
  await Promise.all(
    Array.from({ length: 16 }, async (_, client) => {
      for (let n = 0; Date.now() < until; n++) {
        const res = await fetch(`${base}/api/v1/assets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            title: `Search create ${tag} ${client} ${n} quarterly report`,
            description: 'A description of a few words about churn, retention and the numbers of the quarter.',
            asset_type: 'link',
            external_url: 'https://example.com',
          }),
        });
        await res.arrayBuffer();
        if (res.status === 201) done++;
      }
    }),
  );
  return done / seconds;
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const seedTag = (assets, content) => `search v1: ${assets} assets, ${content} with text`;

export async function searchBench(opt, log) {
  const out = [];
  const gatewayArgs = [...startFlags, 'dist/index.js'];
  const gatewayEnv = (extra) => ({ NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '0', ...extra });

  if (opt.engines.includes('postgres')) {
    const dbName = opt.searchDbName;
    const url = dbUrlFor(opt.adminUrl, dbName);
    const admin = new pg.Client({ connectionString: opt.adminUrl });
    await admin.connect();
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount > 0;
    let seeded = false;
    if (exists && !opt.reseed) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      seeded =
        (await c.query("SELECT obj_description('public.asset_texts'::regclass) AS tag").catch(() => ({ rows: [{}] }))).rows[0].tag ===
        seedTag(opt.searchAssets, opt.searchContent);
      await c.end();
    }
    if (!seeded) {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${dbName}"`);
    }
    await admin.end();
    log(`search: migrating ${dbName}`);
    rootScript(['db:migrate'], { DATABASE_URL: url });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    if (!seeded) {
      log(`search: seeding ${opt.searchAssets} assets, ${opt.searchContent} with ~2 KB of text`);
      const t0 = Date.now();
      await c.query(searchSeedSql(opt.searchAssets, opt.searchContent));
      await c.query(`COMMENT ON TABLE asset_texts IS '${seedTag(opt.searchAssets, opt.searchContent)}'`);
      log(`search: seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } else {
      log('search: reusing the seeded database; removing the creates of earlier runs');
      await c.query("DELETE FROM assets WHERE workspace_id IN (SELECT id FROM workspaces WHERE slug = 'search-writes')");
    }
    await c.query('VACUUM ANALYZE');
    const key = rootScript(['keys', '--', 'create', '--name', 'search-bench', '--scopes', 'read:assets,write:assets', '--workspace', 'search'], {
      DATABASE_URL: url,
    });
    const writeKey = rootScript(['keys', '--', 'create', '--name', 'search-writes', '--scopes', 'read:assets,write:assets', '--workspace', 'search-writes'], {
      DATABASE_URL: url,
    });
    const gateway = await startNodeServer({ name: 'gateway', cwd: ROOT, args: gatewayArgs, env: gatewayEnv({ DATABASE_URL: url }), ready: '/healthz', log });
    const rows = [];
    try {
      for (const query of searchQueries) {
        const r = await measurePair({ base: gateway.base, key, client: c, query, samples: opt.samples, warmup: opt.warmup });
        const target = query.target?.postgres;
        log(`search: ${query.name}: gateway ${fmt(r.search)} ms, ILIKE ${fmt(r.ilike)} ms, ${r.total} hits${r.fuzzy ? ' (fuzzy)' : ''}`);
        rows.push(
          `| ${query.name} | \`${query.q}\` | ${r.total}${r.fuzzy ? ' (fuzzy)' : ''} | ${fmt(r.search)} | ${fmt(r.ilike)} | ${fmt(r.ilike / r.search, 1)}× | ${target ? `≤ ${target}` : ''} | ${target ? (r.search <= target ? 'met' : '**not met**') : ''} |`,
        );
      }
      log(`search: creates with the search triggers on and off, ${opt.createRounds} rounds of ${opt.createSeconds} s each`);
      const on = [];
      const off = [];
      for (let round = 0; round < opt.createRounds; round++) {
        for (const enabled of round % 2 ? [false, true] : [true, false]) {
          await c.query(`ALTER TABLE assets ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER assets_search_index`);
          (enabled ? on : off).push(await createRate(gateway.base, writeKey, opt.createSeconds));
        }
        log(`search:   round ${round + 1}: with ${fmt(on.at(-1), 0)}/s, without ${fmt(off.at(-1), 0)}/s`);
      }
      await c.query('ALTER TABLE assets ENABLE TRIGGER assets_search_index');
      const ratio = median(on) / median(off);
      rows.push(
        `| creates/s with the search index ÷ without (16 clients, links) | | | ${fmt(median(on), 0)}/s | ${fmt(median(off), 0)}/s | = ${fmt(ratio, 2)}× | ≥ 0.8× | ${ratio >= 0.8 ? 'met' : '**not met**'} |`,
      );
      const rss = peakRssMb(gateway.pid);
      rows.push(`| gateway peak RSS | | | ${fmt(rss, 0)} MB | | | | |`);
    } finally {
      await c.query('ALTER TABLE assets ENABLE TRIGGER assets_search_index').catch(() => {});
      await gateway.stop();
      await c.end();
    }
    out.push(
      `### Content search, PostgreSQL: ${opt.searchAssets.toLocaleString('en')} assets, ${opt.searchContent.toLocaleString('en')} with ~2 KB of text — p50 of ${opt.samples} requests, ms\n`,
      'The gateway: `GET /api/v1/search?q=…&per_page=20` end to end (ranked page, highlights, facets, total). The baseline: the same question as',
      'one ILIKE statement over title, description and text (first 20 newest, facets by type), sent straight to PostgreSQL (no HTTP, no GraphQL).',
      '',
      '| workload | q | hits | gateway search | ILIKE baseline | baseline ÷ search | target | |',
      '|---|---|---:|---:|---:|---:|---|---|',
      ...rows,
      '',
    );
  }

  if (opt.engines.includes('pglite')) {
    const dataDir = join(opt.benchDir, '.data', 'search-pglite');
    const tagFile = join(dataDir, 'seed-tag');
    const tag = seedTag(opt.searchPgliteAssets, opt.searchPgliteContent);
    if (opt.reseed || !existsSync(tagFile) || readFileSync(tagFile, 'utf8') !== tag) {
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      log(`search: PGlite: seeding ${opt.searchPgliteAssets} assets, ${opt.searchPgliteContent} with text, into ${dataDir}`);
      const t0 = Date.now();
      execFileSync(
        process.execPath,
        ['--import', 'tsx', join(opt.benchDir, 'lib/seed-pglite.ts'), dataDir, 'search', String(opt.searchPgliteAssets), String(opt.searchPgliteContent)],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DATABASE_URL: undefined } },
      );
      writeFileSync(tagFile, tag);
      log(`search: PGlite seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const keysFile = join(dataDir, 'keys.json');
    const key = existsSync(keysFile)
      ? JSON.parse(readFileSync(keysFile, 'utf8')).read
      : rootScript(['keys', '--', 'create', '--name', 'search-bench', '--scopes', 'read:assets', '--workspace', 'search'], {
          DATABASE_URL: undefined,
          DATA_DIR: dataDir,
        });
    writeFileSync(keysFile, JSON.stringify({ read: key }));
    const gateway = await startNodeServer({
      name: 'gateway (PGlite)',
      cwd: ROOT,
      args: gatewayArgs,
      env: gatewayEnv({ DATABASE_URL: undefined, DATA_DIR: dataDir }),
      ready: '/healthz',
      log,
    });
    const rows = [];
    try {
      for (const query of searchQueries) {
        const r = await measurePair({ base: gateway.base, key, client: null, query, samples: opt.samples, warmup: opt.warmup });
        const target = query.target?.pglite;
        log(`search: PGlite ${query.name}: ${fmt(r.search)} ms, ${r.total} hits`);
        rows.push(
          `| ${query.name} | \`${query.q}\` | ${r.total}${r.fuzzy ? ' (fuzzy)' : ''} | ${fmt(r.search)} | ${target ? `≤ ${target}` : ''} | ${target ? (r.search <= target ? 'met' : '**not met**') : ''} |`,
        );
      }
      rows.push(`| gateway peak RSS | | | ${fmt(peakRssMb(gateway.pid), 0)} MB | | |`);
    } finally {
      await gateway.stop();
    }
    out.push(
      `### Content search, embedded PGlite: ${opt.searchPgliteAssets.toLocaleString('en')} assets, ${opt.searchPgliteContent.toLocaleString('en')} with ~2 KB of text — p50 of ${opt.samples} requests, ms\n`,
      '| workload | q | hits | gateway search | target | |',
      '|---|---|---:|---:|---|---|',
      ...rows,
      '',
    );
  }
  return out;
}
