import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const f = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort().at(-1);
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const isIdle = (id) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id).callFrame.functionName) && byId.get(id).callFrame.functionName === '(idle)';
let t = p.startTime; const times = [];
for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; times.push(t); }
// runs of non-idle
let runs = []; let start = null;
for (let i = 0; i < p.samples.length; i++) {
  const idle = isIdle(p.samples[i]);
  if (!idle && start === null) start = i;
  if ((idle || i === p.samples.length - 1) && start !== null) { runs.push([start, i]); start = null; }
}
const minMs = Number(process.argv[3] ?? 60);
for (const [a, b] of runs) {
  const ms = (times[b] - times[a]) / 1000;
  if (ms < minMs) continue;
  const self = new Map(); const incl = new Map();
  for (let i = a; i < b; i++) {
    const dt = (times[i + 1] ?? times[i]) - times[i];
    let id = p.samples[i]; const cf = byId.get(id).callFrame;
    const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set();
    while (id !== undefined) { const c = byId.get(id).callFrame; const k = `${c.functionName || '(anon)'} ${c.url.split('/').slice(-2).join('/')}:${c.lineNumber}`; if (!seen.has(k)) { incl.set(k, (incl.get(k) ?? 0) + dt); seen.add(k); } id = parent.get(id); }
  }
  console.log(`--- run ${((times[a] - p.startTime) / 1000).toFixed(0)}ms +${ms.toFixed(0)}ms`);
  console.log(' self:', [...self].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k}=${(v / 1000).toFixed(0)}`).join(' | '));
  console.log(' incl:', [...incl].sort((x, y) => y[1] - x[1]).filter(([k]) => !k.startsWith('(root)')).slice(0, 25).map(([k, v]) => `${k}=${(v / 1000).toFixed(0)}`).join(' | '));
}
