// A TCP proxy in front of PostgreSQL that counts statements: frontend protocol Query ('Q')
// and Execute ('E') messages. Used only in the untimed counting pass.
import net from 'node:net';

export async function startSqlProxy(targetHost, targetPort) {
  const counter = { statements: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    let buf = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk) => {
      upstream.write(chunk);
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (buf.length < 8) break;
          const len = buf.readInt32BE(0);
          if (buf.length < len) break;
          if (buf.readInt32BE(4) === 196608) started = true; // StartupMessage v3.0 (else SSL/GSS request)
          buf = buf.subarray(len);
        } else {
          if (buf.length < 5) break;
          const len = buf.readInt32BE(1);
          if (buf.length < 1 + len) break;
          const type = buf[0];
          if (type === 0x51 /* Q */ || type === 0x45 /* E */) counter.statements++;
          buf = buf.subarray(1 + len);
        }
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    counter,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}
