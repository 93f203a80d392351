// The entry of an .xlsx export's writer thread (see `xlsxStream` in table.ts): rows come in as
// messages ({type: 'rows'} … {type: 'end'}), asked for one slice at a time ({type: 'want'}); the
// file goes out in pieces ({type: 'chunk'}) as exceljs zips it, then {type: 'done'} or
// {type: 'error'}.
import { PassThrough } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { writeXlsx } from './xlsx-writer.mjs';

const port = parentPort;
const send = (m, transfer = []) => port.postMessage(m, transfer);

const inbox = [];
let wake = null;
port.on('message', (m) => {
  inbox.push(m);
  wake?.();
  wake = null;
});

async function* batches() {
  for (;;) {
    if (inbox.length === 0) {
      const woke = new Promise((resolve) => (wake = resolve));
      send({ type: 'want' });
      await woke;
    }
    const m = inbox.shift();
    if (m.type === 'end') return;
    yield m.rows;
  }
}

const out = new PassThrough();
out.on('data', (c) => {
  // A copy of its own (a chunk may share a pooled buffer), handed over rather than copied again.
  const data = c.buffer.slice(c.byteOffset, c.byteOffset + c.length);
  send({ type: 'chunk', data }, [data]);
});
const ended = new Promise((resolve) => out.on('end', resolve));

writeXlsx({ ...workerData, batches: batches() }, out)
  .then(() => ended)
  .then(() => send({ type: 'done' }))
  .catch((err) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
