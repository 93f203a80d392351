import { expect } from 'vitest';
import type { Client } from './app.js';

/** Follows a job's page as a browser would (htmx polling) until the job is finished. */
export async function waitDone(c: Client, id: number) {
  for (let i = 0; i < 600; i++) {
    const res = await c.get(`/jobs/${id}`, { 'hx-request': 'true' });
    expect(res.statusCode).toBe(200);
    const state = /data-state="(\w+)"/.exec(res.body)![1];
    if (['done', 'failed', 'cancelled'].includes(state)) return { state, body: res.body };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

/** The job id of a redirect to its page. */
export function jobIdOf(location: unknown): number {
  const m = /^\/jobs\/(\d+)$/.exec(String(location));
  expect(m, String(location)).not.toBeNull();
  return Number(m![1]);
}
