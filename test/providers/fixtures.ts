/**
 * Request/response fixtures per platform operation (issue 9, "the sandbox as a house").
 *
 * A platform's fixture test drives the sandbox through the provider client with
 * `sb.core.captureResponses` on, then hands the journal to {@link checkOperationFixtures}. For each
 * operation of the platform's wire table it finds the first request the client made, and:
 *
 * - validates the live answer with the operation's response schema (the same schema the client
 *   parses with), and the committed fixture's answer too, so a fixture cannot drift from the schema;
 * - compares the *shape* (keys and JSON types, not values: ids and times differ per run) of the live
 *   request body and answer with the committed fixture, so a change of wire shape in the client or
 *   the sandbox fails until the fixture is re-recorded on purpose;
 * - fails when an operation of the table was never exercised (every operation has a fixture).
 *
 * Fixtures live beside the provider tests: `test/providers/fixtures/<platform>/<operation>.json`.
 * Re-record with `RECORD_FIXTURES=1 npx vitest run test/providers/<platform>.fixtures.test.ts`.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZodTypeAny } from 'zod';
import type { JournalEntry } from '../../src/sandbox/framework.js';

const FIXTURE_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** One operation as the fixture check needs it. */
export interface FixtureOperation {
  method: string;
  /** The route pattern exactly as the sandbox registers it (the wire table's path). */
  path: string;
  /** Where the operation's shape comes from (`sdk …`, `seed …`, `assumption`). */
  source: string;
  /** The schema the client parses the answer with; omit for answers without a body (204, streams). */
  response?: ZodTypeAny;
  /** Expected status of the first successful call. */
  status?: number;
}

/** What is committed per operation. */
export interface OperationFixture {
  operation: string;
  source: string;
  request: { method: string; path: string; route: string; query?: string; body?: unknown };
  response: { status: number; body?: unknown };
}

/** The JSON shape of a value: keys and types, never values. Arrays take the union of their items' shapes. */
export function shapeOf(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const shapes = new Map<string, unknown>();
    for (const item of v) {
      const s = shapeOf(item);
      shapes.set(JSON.stringify(s), s);
    }
    return { array: [...shapes.keys()].sort().map((k) => shapes.get(k)) };
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, shapeOf(o[k])]),
    );
  }
  return typeof v;
}

/** Outcome of one platform's check, for a single `expect(...).toEqual([])` in the test. */
export interface FixtureReport {
  problems: string[];
  written: string[];
}

/**
 * Checks (or with `RECORD_FIXTURES=1` writes) one fixture per operation from the captured journal.
 * Returns a list of problems; an empty list means every operation matched its fixture.
 */
export function checkOperationFixtures(
  platform: string,
  operations: Record<string, FixtureOperation>,
  journal: readonly JournalEntry[],
  record = process.env.RECORD_FIXTURES === '1',
): FixtureReport {
  const dir = join(FIXTURE_ROOT, platform);
  const problems: string[] = [];
  const written: string[] = [];
  for (const [name, op] of Object.entries(operations)) {
    const wantStatus = op.status;
    const row = journal.find(
      (e) =>
        e.platform === platform &&
        e.method === op.method &&
        e.route === op.path &&
        !e.fault &&
        !e.replayed &&
        (wantStatus === undefined ? e.status < 300 : e.status === wantStatus),
    );
    if (!row) {
      problems.push(`${name}: ${op.method} ${op.path} was never called successfully in the fixture scenario`);
      continue;
    }
    const live: OperationFixture = {
      operation: name,
      source: op.source,
      request: {
        method: row.method,
        path: row.path,
        route: row.route,
        ...(row.query ? { query: row.query } : {}),
        ...(hasBody(row.body) ? { body: row.body } : {}),
      },
      response: { status: row.status, ...(row.response !== undefined ? { body: row.response } : {}) },
    };
    if (op.response) {
      const parsed = op.response.safeParse(row.response);
      if (!parsed.success)
        problems.push(
          `${name}: live answer fails its response schema: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`,
        );
    }
    const file = join(dir, `${name}.json`);
    if (record) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(live, null, 2)}\n`);
      written.push(file);
      continue;
    }
    if (!existsSync(file)) {
      problems.push(`${name}: no fixture ${file} (record with RECORD_FIXTURES=1)`);
      continue;
    }
    const committed = JSON.parse(readFileSync(file, 'utf8')) as OperationFixture;
    if (committed.request.method !== op.method || committed.request.route !== op.path)
      problems.push(`${name}: fixture is for ${committed.request.method} ${committed.request.route}`);
    if (op.response) {
      const parsed = op.response.safeParse(committed.response.body);
      if (!parsed.success)
        problems.push(
          `${name}: committed fixture answer fails the response schema: ${parsed.error.issues[0]?.message}`,
        );
    }
    if (committed.response.status !== live.response.status)
      problems.push(`${name}: status ${live.response.status}, fixture ${committed.response.status}`);
    if (JSON.stringify(shapeOf(committed.request.body)) !== JSON.stringify(shapeOf(live.request.body)))
      problems.push(`${name}: request body shape changed: ${JSON.stringify(shapeOf(live.request.body))}`);
    if (JSON.stringify(shapeOf(committed.response.body)) !== JSON.stringify(shapeOf(live.response.body)))
      problems.push(`${name}: answer shape changed: ${JSON.stringify(shapeOf(live.response.body))}`);
  }
  return { problems, written };
}

function hasBody(b: unknown): boolean {
  return b !== undefined && !(b && typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0);
}
