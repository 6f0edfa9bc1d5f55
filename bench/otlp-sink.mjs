// A stand-in OpenTelemetry collector for measuring what tracing costs the gateway: it accepts OTLP
// over HTTP (POST /v1/traces, JSON or protobuf), answers 200 and keeps nothing but a count of the
// requests and bytes it received, printed every 10 s and at exit, so a run can tell that spans were
// really exported. Pin it beside the load generator, not on the server's core:
//
//   taskset -c 0 node bench/otlp-sink.mjs 4318 &
//   cd bench && node ab.mjs ../builds/off ../builds/head '../builds/head?OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318'
import { createServer } from 'node:http';

const port = Number(process.argv[2] || 4318);
let requests = 0;
let bytes = 0;
const report = () => process.stderr.write(`[otlp-sink] ${requests} exports, ${(bytes / 1e6).toFixed(1)} MB received\n`);

createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    requests++;
    const json = String(req.headers['content-type']).includes('json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
  });
}).listen(port, '127.0.0.1', () => process.stderr.write(`[otlp-sink] listening on 127.0.0.1:${port}\n`));

setInterval(report, 10_000).unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (report(), process.exit(0)));
