/**
 * `npm run screenshot`: opens the Temporal Web UI in headless Chromium with the workflow list
 * filtered to `AwaitingHuman = true` and saves docs/awaiting-human.png.
 *
 * Self-contained: starts a dev server with its UI, the sandbox and a worker, opens a few gates
 * (research outlines and a session waiting for input), then takes the picture.
 * Needs Debian's Chromium (`apt-get install chromium`) or CHROMIUM_PATH.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { runMain, startBenchEnv } from '../bench/support.js';

const OUT = process.env.SCREENSHOT_PATH ?? 'docs/awaiting-human.png';

async function main(): Promise<void> {
  const executablePath =
    process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  const env = await startBenchEnv({ taskQueue: 'switchboard', ui: true, tickMs: 20 });
  try {
    await env.sb.startResearch(
      {
        topic: 'Open-source vector DB landscape 2026',
        depth: 'deep',
        approvers: ['alice', 'bob'],
        deadlineSeconds: 86_400,
        onExpiry: { policy: 'escalate', to: ['carol'] },
      },
      { workflowId: 'research-vector-dbs' },
    );
    await env.sb.startResearch(
      { topic: 'EU AI Act obligations for agent platforms', approvers: ['legal'], deadlineSeconds: 4 * 3600 },
      { workflowId: 'research-ai-act' },
    );
    await env.sb.startSession(
      {
        platform: 'webagent',
        task: 'Book the cheapest refundable flight script:ask',
        title: 'Flight booking (needs a choice)',
      },
      { workflowId: 'session-flight-booking' },
    );
    await env.sb.startSession(
      { platform: 'archastro', task: 'Nightly digest script:long', archastro: { agentId: 'agi_digest' } },
      { workflowId: 'session-nightly-digest' },
    );
    for (let i = 0; i < 100; i++) {
      if ((await env.sb.inbox()).length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
    const query = encodeURIComponent('AwaitingHuman = true');
    await page.goto(`${env.uiUrl}/namespaces/default/workflows?query=${query}`, {
      waitUntil: 'networkidle',
      timeout: 60_000,
    });
    await page.waitForSelector('text=research-vector-dbs', { timeout: 30_000 });
    await page.screenshot({ path: OUT });
    await browser.close();
    console.log(`saved ${OUT}`);
  } finally {
    await env.close();
  }
}

runMain(main);
