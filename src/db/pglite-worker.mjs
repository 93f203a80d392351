// The embedded database's own thread. PGlite is PostgreSQL compiled to WebAssembly and runs every
// statement on the thread that calls it: in the app's thread a 300 ms query (a big grouping, an
// import's batch, ANALYZE) held every other user's request as long. Here it holds only this
// thread; the app's thread sends statements and gets their rows as messages (src/db/pglite-remote.ts).
//
// Plain JavaScript on purpose: a worker is started by Node itself, outside whatever compiles the
// app's TypeScript (tsx in production, Vite under the tests).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

const JSONB_ARRAY_OID = 3807;

/**
 * A jsonb parameter in PostgreSQL's binary format (a version byte, 1, then the same JSON text):
 * the bulk writes send each batch of rows as one JSON document of megabytes, and PGlite measures
 * and copies a text parameter character by character in JavaScript (twice), where Buffer encodes
 * it natively. The server parses the text alike either way (jsonb_recv calls jsonb_in's parser).
 */
function jsonbBinary(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  out[0] = 1;
  out.write(text, 1, 'utf8');
  return out;
}

/** What crosses back to the app's thread of an error: its message and PostgreSQL's fields (code, detail, constraint…). */
function plainError(err) {
  const out = { message: String(err?.message ?? err), name: err?.name ?? 'Error' };
  if (err && typeof err === 'object') {
    for (const [k, v] of Object.entries(err)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    }
  }
  return out;
}

const BYTEA = types.BYTEA;
const plain = (r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows, binary: r.fields.some((f) => f.dataTypeID === BYTEA) });
const identity = (v) => v;

let client;
try {
  const dataDir = workerData?.dataDir ?? undefined;
  client = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  // jsonb[] serializes its elements with the jsonb serializer, as text: it keeps the text one.
  const jsonbText = client.serializers[types.JSONB];
  client.serializers[types.JSONB] = jsonbBinary;
  client.serializers[JSONB_ARRAY_OID] = (value) => types.arraySerializer(value, jsonbText, JSONB_ARRAY_OID);
  // PGlite's own bytea conversions go byte by byte in JavaScript: a bytea parameter goes as its
  // binary form, which is the bytes themselves, and a bytea result is decoded from hex natively.
  client.serializers[BYTEA] = identity;
  client.parsers[BYTEA] = (value) => Buffer.from(value.slice(2), 'hex');
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, error: plainError(err) });
}

async function run(m) {
  switch (m.op) {
    case 'query': {
      // The caller's own parsers are functions, which do not cross threads: Drizzle's keep a
      // type's text as it comes (dates, intervals), and that is all they may ask for here.
      const options = {};
      if (m.rowMode) options.rowMode = m.rowMode;
      if (m.raw?.length) options.parsers = Object.fromEntries(m.raw.map((oid) => [oid, identity]));
      return plain(await client.query(m.sql, m.params ?? [], options));
    }
    case 'exec':
      return (await client.exec(m.sql)).map(plain);
    case 'close':
      await client.close();
      return null;
    default:
      throw new Error(`unknown operation ${m.op}`);
  }
}

parentPort.on('message', (m) => {
  if (!client) {
    parentPort.postMessage({ id: m.id, error: { message: 'the embedded database did not start', code: '57P03' } });
    return;
  }
  // Alive: answered at once, between two statements, without waiting for PGlite's queue (a health
  // check must not wait behind an import's transaction on the one connection).
  if (m.op === 'alive') {
    parentPort.postMessage({ id: m.id, result: true });
    return;
  }
  // PGlite queues statements in the order they arrive; the app's thread keeps a transaction's
  // statements together (it sends nothing else while one is open).
  run(m).then(
    (result) => parentPort.postMessage({ id: m.id, result }),
    (err) => parentPort.postMessage({ id: m.id, error: plainError(err) }),
  );
});
