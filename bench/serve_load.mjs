// Load for a KServe v2 server (ours or bench/ort_server.js), for bench/serve: one prepared request
// sent again and again over keep-alive connections, for a fixed time; prints one JSON line.
//
//   node serve_load.mjs --url http://127.0.0.1:PORT --model NAME --inputs DIR
//        [--concurrency N | --rate RPS] [--duration S] [--warmup S] [--rows N] [--json-body]
//        [--rss-pid PID] [--key KEY] [--get PATH]
//   node serve_load.mjs --inputs DIR --rows N --write-inputs OUT   (the first N rows, as .npy)
//
// --inputs DIR: one NAME.npy per model input (a generated model's inputs/); --rows N sends the
// first N rows of each (default 1; 0: all). Binary tensors in and out unless --json-body (then
// JSON data in and out). Closed loop (default): N connections, each sending its next request
// when the last is answered. Open loop: --rate RPS Poisson arrivals, each sent at its time
// whatever is in flight; latency runs from the send, and late_p50/p99_ms say how late the
// client's timers sent (a busy client shows here, not as lower server latency); at most
// --max-sockets connections (default 64: requests beyond wait for one, and that wait counts). Only requests
// answered after the warm-up (default 2 s) and before the end count. --rss-pid samples that process's VmRSS once a second.
// Output: {requests, errors, throughput_rps, p50_ms, p90_ms, p99_ms, mean_ms,
// server_infer_p50_ms, server_queue_p50_ms, mean_batch, rss_kb_*, first_error}.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

function parseArgs(argv) {
  const o = { concurrency: 1, rate: 0, duration: 10, warmup: 2, rows: 1, jsonBody: false, maxSockets: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => argv[++i];
    if (a === '--url') o.url = v();
    else if (a === '--model') o.model = v();
    else if (a === '--inputs') o.inputs = v();
    else if (a === '--concurrency') o.concurrency = Number(v());
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--duration') o.duration = Number(v());
    else if (a === '--warmup') o.warmup = Number(v());
    else if (a === '--rows') o.rows = Number(v());
    else if (a === '--json-body') o.jsonBody = true;
    else if (a === '--rss-pid') o.rssPid = Number(v());
    else if (a === '--key') o.key = v();
    else if (a === '--get') o.get = v();
    else if (a === '--max-sockets') o.maxSockets = Number(v());
    else if (a === '--write-inputs') o.writeInputs = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.writeInputs && o.inputs) return o;
  if (!o.url || !o.model || !o.inputs) throw new Error('--url, --model and --inputs are required');
  return o;
}

// .npy (C order, little endian) -> {datatype, shape, bytes: Buffer}
const NPY = { '<f4': ['FP32', 4], '<f8': ['FP64', 8], '<i8': ['INT64', 8], '<i4': ['INT32', 4], '|u1': ['UINT8', 1], '|b1': ['BOOL', 1] };
function readNpy(file, rows) {
  const buf = fs.readFileSync(file);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const [datatype, size] = NPY[descr] || (() => { throw new Error(`${file}: dtype ${descr}`); })();
  let bytes = buf.subarray(start + hlen);
  if (rows > 0 && shape.length > 0 && rows < shape[0]) {
    bytes = bytes.subarray(0, (bytes.length / shape[0]) * rows);
    shape[0] = rows;
  }
  return { datatype, shape, bytes, size };
}

// The first `rows` rows of every input of DIR, written as .npy to OUT (what `run --input` reads).
function writeInputs(dir, rows, out) {
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.npy'))) {
    const buf = fs.readFileSync(path.join(dir, f));
    const t = readNpy(path.join(dir, f), rows);
    const descr = Object.keys(NPY).find((k) => NPY[k][0] === t.datatype);
    const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
    let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
    while ((10 + h.length + 1) % 64 !== 0) h += ' ';
    h += '\n';
    const pre = Buffer.from(buf.subarray(0, 10));
    pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(h.length, 8);
    fs.writeFileSync(path.join(out, f), Buffer.concat([pre, Buffer.from(h, 'latin1'), t.bytes]));
  }
}

function valuesOf(t) {
  const out = [];
  for (let i = 0; i < t.bytes.length; i += t.size) {
    if (t.datatype === 'FP32') out.push(t.bytes.readFloatLE(i));
    else if (t.datatype === 'FP64') out.push(t.bytes.readDoubleLE(i));
    else if (t.datatype === 'INT64') out.push(Number(t.bytes.readBigInt64LE(i)));
    else if (t.datatype === 'INT32') out.push(t.bytes.readInt32LE(i));
    else out.push(t.bytes[i]);
  }
  return out;
}

// The request, encoded once: KServe v2 JSON, or the binary extension (JSON header, then tensors).
function prepare(o) {
  const files = fs.readdirSync(o.inputs).filter((f) => f.endsWith('.npy')).sort();
  if (files.length === 0) throw new Error(`${o.inputs}: no .npy files`);
  const header = { inputs: [] };
  const blobs = [];
  for (const f of files) {
    const t = readNpy(path.join(o.inputs, f), o.rows);
    const e = { name: f.replace(/\.npy$/, ''), datatype: t.datatype, shape: t.shape };
    if (o.jsonBody) {
      e.data = valuesOf(t);
    } else {
      e.parameters = { binary_data_size: t.bytes.length };
      blobs.push(t.bytes);
    }
    header.inputs.push(e);
  }
  if (!o.jsonBody) header.parameters = { binary_data_output: true };
  const json = Buffer.from(JSON.stringify(header));
  const body = Buffer.concat([json, ...blobs]);
  const headers = { 'content-type': o.jsonBody ? 'application/json' : 'application/octet-stream', 'content-length': body.length };
  if (!o.jsonBody) headers['inference-header-content-length'] = String(json.length);
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  return { body, headers };
}

// utime + stime of process `pid`, in ms (clock ticks of 10 ms).
function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch { return null; }
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

const quantile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null);
const round3 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 1000) / 1000);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.writeInputs) return writeInputs(o.inputs, o.rows, o.writeInputs);
  const { body, headers } = o.get ? { body: undefined, headers: {} } : prepare(o);
  const url = new URL(o.get || `/v2/models/${encodeURIComponent(o.model)}/infer`, o.url);
  const agent = new http.Agent({ keepAlive: true, noDelay: true, maxSockets: o.rate > 0 ? o.maxSockets : o.concurrency });
  const reqOpts = { hostname: url.hostname, port: url.port, path: url.pathname, method: o.get ? 'GET' : 'POST', headers, agent };

  const t0 = performance.now();
  const measureFrom = t0 + o.warmup * 1000, endAt = measureFrom + o.duration * 1000;
  const lat = [], infer = [], queue = [], late = [];
  let requests = 0, errors = 0, batchSum = 0, firstError = null, inFlight = 0, dropped = 0;

  // One request; `scheduled` is when it should have gone (open loop) or went (closed loop).
  function send(scheduled) {
    return new Promise((resolve) => {
      inFlight++;
      const sentAt = performance.now();
      const done = (ok, res, what) => {
        inFlight--;
        const now = performance.now();
        if (now >= measureFrom && now <= endAt) {
          if (ok) {
            requests++;
            lat.push(now - sentAt);
            late.push(sentAt - scheduled);
            const inf = res.headers['x-inference-time'], q = res.headers['x-queue-time'], b = res.headers['x-batch-size'];
            if (inf !== undefined) infer.push(Number(inf));
            if (q !== undefined) queue.push(Number(q));
            batchSum += b !== undefined ? Number(b) : 1;
          } else {
            errors++;
          }
        }
        if (!ok && !firstError) firstError = what;
        resolve();
      };
      const req = http.request(reqOpts, (res) => {
        let n = 0;
        const chunks = firstCheck ? [] : null;
        res.on('data', (c) => { n += c.length; if (chunks) chunks.push(c); });
        res.on('end', () => {
          if (res.statusCode !== 200) return done(false, res, `HTTP ${res.statusCode}: ${chunks ? Buffer.concat(chunks).toString().slice(0, 200) : ''}`);
          if (chunks) firstCheck = false;
          if (chunks && !o.get) {  // the first answer: check that it is an inference response with outputs
            const all = Buffer.concat(chunks);
            const hl = res.headers['inference-header-content-length'];
            const j = JSON.parse(all.toString('utf8', 0, hl === undefined ? all.length : Number(hl)));
            if (!Array.isArray(j.outputs) || j.outputs.length === 0) return done(false, res, `no outputs in ${all.toString().slice(0, 200)}`);
          }
          done(n > 0, res, 'empty body');
        });
        res.on('error', (e) => done(false, res, e.message));
      });
      req.on('error', (e) => done(false, null, e.message));
      req.end(body);
    });
  }
  let firstCheck = true;

  let rssStart = null, rssEnd = null, rssMax = null, cpuStart = null, cpuEnd = null, cpuReqs = 0;
  const cpuMarks = o.rssPid ? [
    setTimeout(() => { cpuStart = cpuMs(o.rssPid); cpuReqs = -requests; }, Math.max(0, measureFrom - performance.now())),
    setTimeout(() => { cpuEnd = cpuMs(o.rssPid); cpuReqs += requests; }, Math.max(0, endAt - performance.now())),
  ] : [];
  const rssTimer = o.rssPid ? setInterval(() => {
    const kb = rssKb(o.rssPid);
    if (kb === null) return;
    const now = performance.now();
    if (now >= measureFrom && rssStart === null) rssStart = kb;
    if (now >= measureFrom) rssMax = Math.max(rssMax || 0, kb);
    rssEnd = kb;
  }, 1000) : null;

  if (o.rate > 0) {
    // Open loop: Poisson arrivals, each sent at its time whatever is in flight.
    const pending = [];
    let next = t0;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next <= now && next < endAt) {
          if (inFlight >= 4096) { dropped++; if (next >= measureFrom) errors++; } else pending.push(send(next));
          next += (-Math.log(1 - Math.random()) / o.rate) * 1000;
        }
        if (next >= endAt) return resolve();
        setTimeout(tick, Math.max(0, Math.min(next - performance.now(), 50)));
      };
      tick();
    });
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 10_000))]);
  } else {
    const loop = async () => { while (performance.now() < endAt) await send(performance.now()); };
    await Promise.all(Array.from({ length: o.concurrency }, loop));
  }
  if (rssTimer) clearInterval(rssTimer);
  cpuMarks.forEach(clearTimeout);
  agent.destroy();

  lat.sort((a, b) => a - b);
  infer.sort((a, b) => a - b);
  queue.sort((a, b) => a - b);
  const out = {
    requests, errors, throughput_rps: round3(requests / o.duration),
    p50_ms: round3(quantile(lat, 0.5)), p90_ms: round3(quantile(lat, 0.9)), p99_ms: round3(quantile(lat, 0.99)),
    mean_ms: round3(lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)),
    server_infer_p50_ms: round3(quantile(infer, 0.5)), server_queue_p50_ms: round3(quantile(queue, 0.5)),
    mean_batch: round3(batchSum / Math.max(1, requests)),
  };
  if (o.rate > 0) {
    late.sort((a, b) => a - b);
    Object.assign(out, { offered_rps: o.rate, dropped, late_p50_ms: round3(quantile(late, 0.5)), late_p99_ms: round3(quantile(late, 0.99)) });
  }
  if (o.rssPid) {
    Object.assign(out, { rss_kb_start: rssStart, rss_kb_end: rssEnd, rss_kb_max: rssMax });
    if (cpuStart !== null && cpuEnd !== null && cpuReqs > 0) {
      out.server_cpu_ms_per_request = round3((cpuEnd - cpuStart) / cpuReqs);
      out.server_cpu_cores = round3((cpuEnd - cpuStart) / (o.duration * 1000));
    }
  }
  if (firstError) out.first_error = firstError;
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(`serve_load: ${e.message}`); process.exit(1); });
