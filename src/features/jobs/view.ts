import type { Job } from '../../db/schema/jobs.js';
import type { Translate } from '../../i18n/index.js';
import { isFinished, type JobSystem } from '../../lib/jobs.js';

/** "2 мин 05 с": short units, no plural forms to get wrong. */
export function duration(t: Translate, ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return t('jobs.time.hours', { h, m: String(m).padStart(2, '0') });
  if (m) return t('jobs.time.minutes', { m, s: String(s).padStart(2, '0') });
  return t('jobs.time.seconds', { s });
}

export function jobTitle(t: Translate, jobs: JobSystem, job: Pick<Job, 'kind' | 'titleParams'>): string {
  const def = jobs.kind(job.kind);
  return def ? t(def.title, job.titleParams as Record<string, string | number>) : job.kind;
}

/** What the page shows of a job: progress (live in this process, else as last written), times. */
export function jobProgress(t: Translate, jobs: JobSystem, job: Job, now = Date.now()) {
  const live = !isFinished(job.state) ? jobs.liveProgress(job.id) : undefined;
  const done = live?.done ?? job.done;
  const total = live?.total ?? job.total;
  const phase = live?.phase ?? job.phase;
  const params = (live?.params ?? job.phaseParams ?? {}) as Record<string, string | number>;
  const started = job.startedAt?.getTime() ?? null;
  const end = job.finishedAt?.getTime() ?? now;
  const elapsed = started ? end - started : null;
  const estimate = !isFinished(job.state) && elapsed !== null && done > 0 && total > done ? (elapsed * (total - done)) / done : null;
  return {
    done,
    total,
    phase: phase ? t(phase, { done, total, count: total, ...params }) : '',
    elapsed: elapsed === null ? null : duration(t, elapsed),
    estimate: estimate === null ? null : duration(t, estimate),
  };
}
