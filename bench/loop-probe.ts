// Preloaded into the benchmarked server (`--import ./bench/loop-probe.ts`) by the event-loop
// scenario: the server's own event-loop delay, read over the IPC channel the bench opened. Nothing
// of it is in the product, so nothing of it can be reached over HTTP.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

if (process.send) {
  process.on('message', (msg: unknown) => {
    if (msg === 'loop:reset') {
      delay.reset();
      process.send!({ type: 'loop:reset' });
    } else if (msg === 'loop:read') {
      const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
      process.send!({ type: 'loop:read', p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), count: delay.count });
    }
  });
  // The channel must not keep the server up once it is asked to stop.
  process.channel?.unref();
}
