import { readFileSync, readdirSync } from 'node:fs';
import { pool, runMain, startBenchEnv } from './support.js';
const STEPS = (process.env.STEPS ?? '0,250,500,1000').split(',').map(Number);
runMain(async () => {
  const env = await startBenchEnv({
    taskQueue: 'probe-mem',
    workerEnv: {
      NODE_OPTIONS: `--import /tmp/exp/memdump.mjs --expose-gc ${process.env.EXTRA_NODE ?? ''}`,
      MEMDUMP_FILE: '/tmp/exp/mem.json',
      ...(process.env.ARENA ? { MALLOC_ARENA_MAX: process.env.ARENA } : {}),
      ...(process.env.CACHE ? { SWITCHBOARD_MAX_CACHED_WORKFLOWS: process.env.CACHE } : {}),
    },
  });
  try {
    let opened = 0;
    for (const n of STEPS) {
      await pool(
        Array.from({ length: n - opened }, (_, i) => opened + i),
        50,
        async (i) => env.sb.startResearch({ topic: `t ${i}`, approvers: ['alice'], deadlineSeconds: 86400 }, { workflowId: `gate-${i}` }),
      );
      for (;;) {
        const open = await env.sb.inbox({ limit: n + 10 });
        if (open.length >= n) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      opened = n;
      await new Promise((r) => setTimeout(r, 5000));
      if (process.env.SNAP) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync('/tmp/exp/snap-request.2', '');
        await new Promise((r) => setTimeout(r, 20000));
      }
      console.log(
        n,
        env.rssMb().toFixed(0),
        readdirSync('/tmp/exp')
          .filter((f) => f.startsWith('mem.json'))
          .map((f) => f + ' ' + readFileSync('/tmp/exp/' + f, 'utf8'))
          .join('\n'),
      );
    }
  } finally {
    await env.close();
  }
});
