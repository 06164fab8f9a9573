// A client of the CRI streaming server that is not podctl's code: the
// HTTP/1.1 upgrade of Kubernetes' httpstream, then SPDY/3.1 from npm's
// spdy-transport (installed by scripts/install-deps into
// /usr/local/lib/podctl-test/node_modules), with Kubernetes' channel
// protocols on top, as kubectl/crictl's client-go speaks them.
//
//   stream-client.js exec URL [--stdin TEXT | --stdin-file F] [--tty] [--resize ROWSxCOLS] [--proto P]
//       prints {"stdout": ..., "stderr": ..., "error": <the error stream>}
//   stream-client.js portforward URL PORT TEXT
//       sends TEXT on the data stream, half-closes, prints
//       {"data": ..., "error": ...}
//   A refused upgrade prints {"http": STATUS, "body": ...}.
'use strict';
const http = require('http');
const transport = require('spdy-transport');

const [mode, rawUrl, ...rest] = process.argv.slice(2);
const url = new URL(rawUrl);
const opt = { stdin: null, tty: false, resize: null, proto: null };
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--stdin') opt.stdin = rest[++i];
  else if (rest[i] === '--stdin-file') opt.stdin = require('fs').readFileSync(rest[++i]);
  else if (rest[i] === '--tty') opt.tty = true;
  else if (rest[i] === '--resize') opt.resize = rest[++i];
  else if (rest[i] === '--proto') opt.proto = rest[++i];
  else if (opt.port === undefined) opt.port = rest[i];
  else opt.text = rest[i];
}
const protocol = opt.proto || (mode === 'exec'
  ? 'v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io'
  : 'portforward.k8s.io');

const timer = setTimeout(() => { console.error('stream-client: timed out'); process.exit(3); }, 20000);

const req = http.request({
  host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
  headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol },
});
req.on('response', (res) => {
  let body = '';
  res.on('data', (d) => { body += d; });
  res.on('end', () => {
    console.log(JSON.stringify({ http: res.statusCode, body: body.trim() }));
    process.exit(0);
  });
});
req.on('error', (e) => { console.error('stream-client:', e.message); process.exit(2); });
req.on('upgrade', (res, socket, head) => {
  if (head && head.length) socket.unshift(head);
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: false });
  // the server's end of the connection is the end of the session: its
  // errors are reported, not thrown
  const report = (what) => (e) => console.error('stream-client: ' + what + ': ' + e.message);
  socket.on('error', report('socket'));
  conn.on('error', report('connection'));
  conn.start(3.1);
  const negotiated = res.headers['x-stream-protocol-version'] || '';
  const open = (headers, writable) => new Promise((resolve) => {
    const s = conn.request({ method: 'POST', path: '/', host: url.host, headers, writable }, () => {});
    resolve(s);
  });
  // The server sends everything before it closes the connection: a stream
  // is whole at its 'end', or once the connection has closed (spdy-transport
  // can report a stream closed or reset before its last data events)
  const connClosed = new Promise((resolve) => socket.on('close', () => setTimeout(resolve, 100)));
  const collect = (s) => new Promise((resolve) => {
    const chunks = [];
    const done = () => resolve(Buffer.concat(chunks).toString());
    s.on('data', (d) => chunks.push(d));
    s.on('end', done);
    s.on('error', () => {});
    connClosed.then(done);
  });
  (async () => {
    if (mode === 'exec') {
      const err = await open({ streamtype: 'error' }, false);
      const errDone = collect(err);
      let stdin = null;
      if (opt.stdin !== null) stdin = await open({ streamtype: 'stdin' }, true);
      const out = await open({ streamtype: 'stdout' }, false);
      const outDone = collect(out);
      let errOutDone = Promise.resolve('');
      if (!opt.tty) errOutDone = collect(await open({ streamtype: 'stderr' }, false));
      if (opt.tty && negotiated !== 'v2.channel.k8s.io' && negotiated !== 'channel.k8s.io') {
        const rs = await open({ streamtype: 'resize' }, true);
        if (opt.resize) {
          const [rows, cols] = opt.resize.split('x').map(Number);
          rs.write(JSON.stringify({ Width: cols, Height: rows }));
        }
      }
      if (stdin) {
        // after the resize, so a tty sees its size before the input
        setTimeout(() => { stdin.end(opt.stdin); }, opt.tty ? 300 : 0);
      }
      const [o, e, st] = await Promise.all([outDone, errOutDone, errDone]);
      console.log(JSON.stringify({ protocol: negotiated, stdout: o, stderr: e, error: st }));
    } else {
      const headers = { port: String(opt.port), requestid: '0' };
      const err = await open({ ...headers, streamtype: 'error' }, false);
      const errDone = collect(err);
      const data = await open({ ...headers, streamtype: 'data' }, true);
      const dataDone = collect(data);
      data.end(opt.text || '');
      const [d, e] = await Promise.all([dataDone, errDone]);
      console.log(JSON.stringify({ protocol: negotiated, data: d, error: e }));
    }
    clearTimeout(timer);
    process.exit(0);
  })();
});
req.end();
