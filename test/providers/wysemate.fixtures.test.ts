/**
 * One request/response fixture per Wyse Mate wire operation (issue 9, item B; see ./fixtures.ts).
 *
 * The operation table is derived from src/providers/wysemate/routes.ts: each row names a `ROUTES`
 * key (never a retyped path) and takes its source from that key's line there. Every answer is the
 * `{code, msg, data}` envelope; the table's schema is the envelope around the schema the client
 * parses `data` with. The scenario calls every operation once through {@link WyseMateClient}
 * against the in-process sandbox, waiting for steady states so each captured answer has one shape.
 *
 * Re-record: `RECORD_FIXTURES=1 npx vitest run test/providers/wysemate.fixtures.test.ts`, then
 * `npx prettier --write test/providers/fixtures/wysemate`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z, type ZodTypeAny } from 'zod';
import { WyseMateClient } from '../../src/providers/wysemate/client.js';
import { ROUTES } from '../../src/providers/wysemate/routes.js';
import {
  agentInfoSchema,
  apiKeySchema,
  betweenMessagesSchema,
  browserInfoSchema,
  createSessionResponseSchema,
  listBrowserPagesSchema,
  listBrowsersSchema,
  messagesPageSchema,
  paginated,
  sessionInfoSchema,
  teamInfoSchema,
} from '../../src/providers/wysemate/schemas.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { checkOperationFixtures, type FixtureOperation } from './fixtures.js';

const ROUTES_FILE = new URL('../../src/providers/wysemate/routes.ts', import.meta.url);
const SEED = 'seed wyse-mate-python-sdk.txt';
type RouteKey = keyof typeof ROUTES;

/** `assumption` or the seed, per `ROUTES` key, read from the key's own line in routes.ts. */
function routeSources(): Map<string, string> {
  const text = readFileSync(ROUTES_FILE, 'utf8');
  const block = /export const ROUTES = \{([\s\S]*?)\} as const;/.exec(text)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const line of block.split('\n')) {
    const m = /^\s*(\w+):\s*'.*$/.exec(line);
    if (m) out.set(m[1]!, /\/\/ assumption/.test(line) ? 'assumption' : SEED);
  }
  return out;
}

/** The success envelope around `data`. */
const env = (data: ZodTypeAny) =>
  z.object({ code: z.union([z.number(), z.string()]), msg: z.string().nullish(), data });

/** [operation, method, ROUTES key, schema of `data` (null: nothing)]. */
const TABLE: [string, string, RouteKey, ZodTypeAny][] = [
  ['userListApiKeys', 'GET', 'apiKeyList', paginated(apiKeySchema)],
  ['teamGetList', 'GET', 'teamList', paginated(teamInfoSchema)],
  ['teamGetInfo', 'GET', 'teamInfo', teamInfoSchema],
  ['agentGetList', 'GET', 'agentList', paginated(agentInfoSchema)],
  ['agentGetInfo', 'GET', 'agentInfo', agentInfoSchema],
  ['sessionCreate', 'POST', 'sessionCreate', createSessionResponseSchema],
  ['sessionGetInfo', 'GET', 'sessionInfo', sessionInfoSchema],
  ['sessionUpdateName', 'PUT', 'sessionInfo', z.null()],
  ['sessionStop', 'POST', 'sessionStop', z.null()],
  ['sessionGetMessages', 'GET', 'sessionMessages', messagesPageSchema],
  ['sessionGetBetweenMessages', 'GET', 'sessionMessagesBetween', betweenMessagesSchema],
  ['browserGetInfo', 'GET', 'browserInfo', browserInfoSchema],
  ['browserListBrowsers', 'GET', 'browserList', listBrowsersSchema],
  ['browserRelease', 'DELETE', 'browserRelease', z.null()],
  ['browserListPages', 'GET', 'browserPages', listBrowserPagesSchema],
];

function operations(): Record<string, FixtureOperation> {
  const sources = routeSources();
  return Object.fromEntries(
    TABLE.map(([name, method, key, data]) => {
      const source = sources.get(key);
      if (!source) throw new Error(`ROUTES.${key} not found in routes.ts`);
      return [name, { method, path: ROUTES[key], source, response: env(data) }];
    }),
  );
}

let sb: RunningSandbox;
let wm: WyseMateClient;

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  wm = new WyseMateClient({
    platform: 'wysemate',
    alias: 'default',
    baseUrl: sb.baseUrl('wysemate'),
    secret: KeyRing.defaultKey('wysemate'),
  });
  sb.ctx.scripts.set('wm-hold', [{ type: 'emit', count: 1 }, { type: 'wait', ms: 600_000 }, { type: 'finish' }]);
});

afterAll(async () => sb?.close());

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 5_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`no steady state within 5 s: ${JSON.stringify(v).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('every Wyse Mate operation matches its committed request/response fixture', async () => {
  await wm.user.listApiKeys({ page_num: 1, page_size: 5 });
  const teams = await wm.team.getList('', { page_num: 1, page_size: 5 });
  await wm.team.getInfo(teams.data[0]!.team_id);
  const agents = await wm.agent.getList('', { page_num: 1, page_size: 5 });
  await wm.agent.getInfo(agents.data[0]!.agent_id);

  // A session that runs to completed (two browsers by then), read once it has ended; nothing is
  // captured before, so every read has the ended session's shape.
  const { session_id } = await wm.session.create({
    team_id: teams.data[0]!.team_id,
    task: 'script:default fixture session',
    title: 'Fixture',
  });
  // Poll before capturing, then start the journal afresh: every captured read sees the ended session.
  await until(
    () => wm.session.getInfo(session_id),
    (i) => i.status === 'completed',
  );
  sb.core.journal.length = 0;
  sb.core.captureResponses = true;
  await wm.user.listApiKeys({ page_num: 1, page_size: 5 });
  await wm.team.getList('', { page_num: 1, page_size: 5 });
  await wm.team.getInfo(teams.data[0]!.team_id);
  await wm.agent.getList('', { page_num: 1, page_size: 5 });
  await wm.agent.getInfo(agents.data[0]!.agent_id);
  await wm.session.getInfo(session_id);
  const page = await wm.session.getMessages(session_id, { page_num: 1, page_size: 20 });
  await wm.session.getBetweenMessages(session_id, page.messages[0]!.message_id, page.messages[2]!.message_id);
  await wm.session.updateSessionName({ session_id, title: 'Fixture, renamed' });
  const browsers = await wm.browser.listBrowsers(session_id, { page_num: 1, page_size: 20 });
  await wm.browser.getInfo(browsers.browsers[0]!.browser_id);
  await wm.browser.listBrowserPages(browsers.browsers[0]!.browser_id, { page_num: 1, page_size: 20 });
  await wm.browser.releaseBrowser(browsers.browsers[0]!.browser_id);

  // A session still running when it is stopped; created here so the create is captured too.
  const held = await wm.session.create({ team_id: teams.data[0]!.team_id, task: 'script:wm-hold fixture session' });
  await wm.session.stop(held.session_id);

  const report = checkOperationFixtures('wysemate', operations(), sb.core.journal);
  expect(report.problems).toEqual([]);
});

it('the operation table covers every route of routes.ts, and takes each source from it', () => {
  const covered = new Set(Object.values(operations()).map((o) => o.path));
  expect(Object.values(ROUTES).filter((p) => !covered.has(p))).toEqual([]);
  // The seed names no path at all: every route is an assumption until an SDK confirms it.
  expect(new Set(Object.values(operations()).map((o) => o.source))).toEqual(new Set(['assumption']));
});
