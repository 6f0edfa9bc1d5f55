// PostGraphile 5 (amber preset) over the bench database: the peer the gateway is compared to.
//   node --import ./lib/polyfill.mjs postgraphile-server.mjs      env DATABASE_URL, PORT, HOST
// It exposes `public` (the gateway's tables) and `bench_pg` (one search function; PostGraphile
// has no ILIKE filter without a plugin). No auth: PostGraphile has no API keys.
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';

const port = Number(process.env.PORT || 5678);
const host = process.env.HOST || '127.0.0.1';
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ['public', 'bench_pg'],
      poolConfig: { max: Number(process.env.DATABASE_POOL_SIZE || 10) },
    }),
  ],
  grafserv: { port, host, graphiql: false, watch: false },
  grafast: { explain: false },
  // amber only offers conditions on indexed columns; deleted_at (not indexed) must be filterable.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
serv.addTo(server).then(
  () => {
    server.listen(port, host, () => console.error(`postgraphile on http://${host}:${port}/graphql`));
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
