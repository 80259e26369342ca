/**
 * The `switchboard` CLI: start, steer and inspect agent sessions. `--json` on every command prints
 * machine-readable output. Exit codes: 0 ok, 1 failed, 2 invalid input, 3 not found, 4 rejected,
 * 5 already exists.
 */
import { shutdownTracing } from '../telemetry/tracing.js';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, parseEnv } from '../config.js';
import { createKey, keysDir, listKeys, loadPrivateKey } from '../identity/keys.js';
import type { AuditEntry, GateOutcome } from '../contracts/gates.js';
import {
  SESSION_PLATFORMS,
  SESSION_STATUSES,
  type AgentSessionInputRaw,
  type SessionPlatform,
  type SessionStatus,
  type TranscriptEntry,
} from '../contracts/sessions.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../contracts/outbox.js';
import {
  MONITOR_STATUSES,
  type RefineMonitorArgs,
  type TrackMonitorInput,
  type TrackMonitorState,
} from '../contracts/monitors.js';
import { type ScheduledMonitorInput, SMON_STATUSES } from '../contracts/scheduledMonitors.js';
import type { ScheduledMonitorView } from './scheduledMonitors.js';
import {
  type ClientErrorCode,
  parseDuration,
  parseExpiry,
  SwitchboardClient,
  SwitchboardClientError,
} from './index.js';

const EXIT: Record<ClientErrorCode, number> = {
  failed: 1,
  invalid_input: 2,
  not_found: 3,
  rejected: 4,
  already_exists: 5,
};

interface Out {
  json: boolean;
}

// Each command's parsed options, as its `.option()` calls declare them: commander hands `action`
// untyped values, and these say which flags (and value types, from the parsers) a command reads.
interface SessionStartOpts {
  provider: SessionPlatform;
  task: string;
  id?: string;
  title?: string;
  alias: string;
  options?: string;
  followUpWindow?: number;
  deleteOnEnd?: boolean;
  follow?: boolean;
  gateApprover?: string[];
  gateDeadline?: string;
  gateOnExpiry?: string;
}
interface ListOpts<S extends string = string> {
  status?: S;
  limit: number;
}
interface SessionListOpts extends ListOpts<SessionStatus> {
  provider?: SessionPlatform;
  awaiting?: boolean;
}
/** The gate options shared by every command that opens an approval. */
interface GateOpts {
  approver: string[];
  deadline: string;
  onExpiry: string;
  quorum: number;
  separateDuties?: boolean;
}
interface ResearchStartOpts extends GateOpts {
  topic: string;
  depth: 'light' | 'standard' | 'deep';
  approval: boolean;
  alias: string;
  id?: string;
}
interface DecideOpts {
  as: string;
  comment?: string;
  request?: string;
  sign: boolean;
}
interface MonitorCreateOpts extends Omit<GateOpts, 'quorum' | 'separateDuties'> {
  intent?: string;
  schedule?: string;
  callback?: string;
  trigger?: string;
  poll: string;
  retryDead: number;
  alias: string;
  cron?: string[];
  every?: string[];
  tz: string;
  jitter?: string;
  startAt?: string;
  endAt?: string;
  overlap?: ScheduledMonitorInput['schedule']['overlap'];
  catchup?: string;
  check?: string;
  condition?: string;
  notify: string;
  alertAfterFailures?: number;
  silence?: string;
  digest?: string;
  dedupe?: string;
  description?: string;
}

function print(out: Out, human: string, data: unknown): void {
  process.stdout.write(out.json ? JSON.stringify(data, null, 2) + '\n' : human + '\n');
}

function line(e: TranscriptEntry): string {
  return `[${e.role}/${e.kind}] ${e.text}`;
}

/** Parses a JSON option value (inline or @file); a file that cannot be read is bad input too. */
function jsonArg(value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      throw new SwitchboardClientError('invalid_input', `cannot read ${value.slice(1)} (${why})`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SwitchboardClientError('invalid_input', `not valid JSON: ${value.slice(0, 60)}`);
  }
}

/** `--limit`: a whole number of rows ≥ 1; anything else is refused before a call is made (exit 2). */
function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

async function withClient<T>(fn: (c: SwitchboardClient) => Promise<T>): Promise<T> {
  const c = await SwitchboardClient.fromEnv();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** The decider's private key for signing: used when it is on this machine, unless `--no-sign`. */
function signingKey(decider: string, sign: boolean): KeyObject | undefined {
  if (!sign) return undefined;
  try {
    return loadPrivateKey(keysDir(), decider);
  } catch (err) {
    throw new SwitchboardClientError('invalid_input', err instanceof Error ? err.message : String(err));
  }
}

function describeOutcome(o: GateOutcome): string {
  const who = `${o.decider}${o.identity ? ` (${o.identity})` : ''}`;
  if (o.vote)
    return `${o.decision} by ${who} recorded: ${o.vote.have} of ${o.vote.need} approvals; the gate stays open`;
  return `${o.decision} by ${who} at ${o.at}${o.deciders ? ` (approvals: ${o.deciders.join(', ')})` : ''}${o.effect?.detail ? ` — ${o.effect.detail}` : ''}`;
}

function auditLine(a: AuditEntry): string {
  const who = `${a.decider}${a.identity ? ` (${a.identity})` : ''}`;
  if (a.outcome === 'refused')
    return `${a.at} REFUSED ${a.decision} claimed by ${a.decider} via ${a.via ?? 'update'}: ${a.refusedReason ?? ''}`;
  const what = a.outcome === 'vote' ? `vote ${a.decision}` : a.decision;
  return `${a.at} ${what} by ${who}${a.deciders ? ` (approvals: ${a.deciders.join(', ')})` : ''}${a.comment ? `: ${a.comment}` : ''}${a.reason ? ` — ${a.reason}` : ''}`;
}

/** `--check`: JSON, or `web_search:<query>`, `track:<monitorId>`, `deep_research:<topic>`, `routine:<routineId>`. */
function parseCheck(spec: string | undefined): ScheduledMonitorInput['check'] {
  if (!spec)
    throw new SwitchboardClientError(
      'invalid_input',
      'a scheduled monitor needs --check (e.g. web_search:"iphone 17 price")',
    );
  if (spec.startsWith('{') || spec.startsWith('@')) return jsonArg(spec) as ScheduledMonitorInput['check'];
  const i = spec.indexOf(':');
  const [kind, arg] = i < 0 ? [spec, ''] : [spec.slice(0, i), spec.slice(i + 1)];
  switch (kind) {
    case 'web_search':
      return { kind, query: arg };
    case 'track':
    case 'track_run_now':
      return { kind: 'track_run_now', monitorId: arg };
    case 'deep_research':
      return { kind, topic: arg };
    case 'routine':
    case 'archastro_routine':
      return { kind: 'archastro_routine', routineId: arg };
  }
  throw new SwitchboardClientError(
    'invalid_input',
    `unknown check "${kind}" (web_search, track, deep_research, routine, or JSON)`,
  );
}

/** `--condition`: JSON, or `<op>[:<field>[:<value>]]` (`lt:price:999`, `changed`, `contains:summary:sold out`). */
function parseCondition(spec: string): ScheduledMonitorInput['condition'] {
  if (spec.startsWith('{') || spec.startsWith('@')) return jsonArg(spec) as ScheduledMonitorInput['condition'];
  const [op, field, ...rest] = spec.split(':');
  const text = rest.join(':');
  const value =
    rest.length === 0
      ? undefined
      : /^-?\d+(\.\d+)?$/.test(text)
        ? Number(text)
        : text === 'true'
          ? true
          : text === 'false'
            ? false
            : text;
  // The client validates the whole condition (zod) before anything starts.
  return {
    op: op as NonNullable<ScheduledMonitorInput['condition']>['op'],
    ...(field ? { field } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

function describeScheduled(v: ScheduledMonitorView): string {
  const c = v.counts;
  return [
    `${v.key}: ${v.status} (scheduled)${v.schedule?.paused ? `, schedule paused${v.schedule.note ? `: ${v.schedule.note}` : ''}` : ''}`,
    `  schedule     ${v.scheduleText}`,
    `  last tick    ${v.lastTickAt ?? '-'}`,
    `  last change  ${v.lastChangeAt ?? '-'}`,
    `  next run     ${v.schedule?.nextRunAt ?? v.nextRunAt ?? '-'}`,
    `  ticks ${c.ticks}, failed ${c.checksFailed} (${v.consecutiveFailures} in a row), skipped while waiting ${c.skippedWhileWaiting}, skipped overlapping ${c.skippedOverlap}, wakes refused ${c.wakesRefused}`,
    `  alerts sent ${c.alertsSent}, dropped while snoozed ${c.alertsDropped}, de-duplicated ${c.alertsDeduped}, digests ${c.digestsSent}${v.snoozedUntil ? `, snoozed until ${v.snoozedUntil}` : ''}`,
    ...(v.pendingRequest ? [`  waiting for a person: ${v.pendingRequest.prompt ?? v.pendingRequest.id}`] : []),
    ...(v.lastError ? [`  last error   ${v.lastError}`] : []),
  ].join('\n');
}

export function buildCli(): Command {
  const program = new Command('switchboard')
    .description('Durable agent sessions and approvals on Temporal')
    .option('--json', 'print JSON', false)
    .exitOverride();
  const out = (): Out => ({ json: Boolean(program.opts().json) });

  const session = program.command('session').description('agent sessions on Web Agent, ArchAstro, Wyse Mate and Mix');

  session
    .command('start')
    .description('start an agent session')
    .addOption(new Option('--provider <platform>', 'platform').choices([...SESSION_PLATFORMS]).makeOptionMandatory())
    .requiredOption('--task <text>', 'what the agent should do')
    .option('--id <workflowId>', 'workflow id (your business key); generated when omitted')
    .option('--title <title>', 'title shown in the Web UI')
    .option('--alias <alias>', 'credential alias', 'default')
    .option('--options <json>', 'platform options as JSON or @file (e.g. {"agentId":"agt_1"})')
    .option('--follow-up-window <seconds>', 'stay open this long after the task ends for follow-ups', (v) => Number(v))
    .option('--delete-on-end', 'delete the platform session after clean-up')
    .option('--follow', 'print events as they arrive until the session ends')
    .option(
      '--gate-approver <name...>',
      "Mix: who decides the platform's permission requests and questions (they become approval gates)",
    )
    .option('--gate-deadline <duration>', "Mix: time to decide each (e.g. 30m; never past the platform's own timeout)")
    .option('--gate-on-expiry <policy>', 'Mix: reject | approve | escalate:<who>[,<who>][@24h] | wait[:1h]')
    .action(async (o: SessionStartOpts) => {
      const platformGates = o.gateApprover
        ? {
            approvers: o.gateApprover,
            ...(o.gateDeadline ? { deadlineSeconds: parseDuration(o.gateDeadline) } : {}),
            ...(o.gateOnExpiry ? { onExpiry: parseExpiry(o.gateOnExpiry) } : {}),
          }
        : undefined;
      const input = {
        platform: o.provider,
        task: o.task,
        title: o.title,
        credentialAlias: o.alias,
        followUpWindowSeconds: o.followUpWindow,
        deleteOnEnd: o.deleteOnEnd,
        ...(o.options ? { [o.provider]: jsonArg(o.options) } : {}),
        ...(platformGates ? { platformGates } : {}),
      } as AgentSessionInputRaw;
      await withClient(async (c) => {
        const started = await c.sessions.start(input, { workflowId: o.id });
        if (!o.follow) return print(out(), `started ${started.workflowId}`, started);
        if (!out().json) process.stdout.write(`started ${started.workflowId}\n`);
        const final = await c.sessions.follow(started.workflowId, (e) => {
          process.stdout.write(out().json ? JSON.stringify(e) + '\n' : line(e) + '\n');
        });
        print(
          out(),
          `${final.status}${final.result ? `: ${final.result}` : ''}${final.error ? `: ${final.error}` : ''}`,
          { ...started, final },
        );
        if (final.status === 'failed') process.exitCode = 1;
      });
    });

  session
    .command('message <workflowId> <text>')
    .description('send a message to the running agent')
    .action((id: string, text: string) =>
      withClient(async (c) => print(out(), 'message sent', await c.sessions.sendMessage(id, text))),
    );

  session
    .command('answer <workflowId>')
    .description('answer the pending input request')
    .requiredOption('--request <id>', 'input request id (see `session show`)')
    .requiredOption('--response <json>', 'the answer, as JSON (a bare word is sent as a string)')
    .action((id: string, o: { request: string; response: string }) =>
      withClient(async (c) => {
        let response: unknown = o.response;
        try {
          response = JSON.parse(o.response) as unknown;
        } catch {
          /* a bare word is a string answer */
        }
        print(out(), 'answer sent', await c.sessions.answerInput(id, o.request, response));
      }),
    );

  session
    .command('follow-up <workflowId> <task>')
    .description('start the next task in the same session (Web Agent)')
    .action((id: string, task: string) =>
      withClient(async (c) => print(out(), 'follow-up started', await c.sessions.followUp(id, task))),
    );

  session
    .command('rename <workflowId> <name>')
    .description('rename the session (Wyse Mate)')
    .action((id: string, name: string) =>
      withClient(async (c) => print(out(), 'renamed', await c.sessions.rename(id, name))),
    );

  session
    .command('callbacks <workflowId> <json>')
    .description('replace the session callbacks (Mix); [] clears them')
    .action((id: string, json: string) =>
      withClient(async (c) =>
        print(out(), 'callbacks set', await c.sessions.setCallbacks(id, jsonArg(json) as Record<string, unknown>[])),
      ),
    );

  session
    .command('rewind <workflowId> <messageId>')
    .description('rewind the session to a message (Mix)')
    .option('--clean-media', 'also remove media created after it')
    .action((id: string, messageId: string, o: { cleanMedia?: boolean }) =>
      withClient(async (c) => print(out(), 'rewound', await c.sessions.rewind(id, messageId, Boolean(o.cleanMedia)))),
    );

  session
    .command('cancel <workflowId>')
    .description('cancel the session on the platform and end the workflow')
    .option('--reason <text>')
    .action((id: string, o: { reason?: string }) =>
      withClient(async (c) => print(out(), 'cancelled', await c.sessions.cancel(id, o.reason))),
    );

  session
    .command('show <workflowId>')
    .description('status, platform ids, pending input, counts and transcript tail')
    .action((id: string) =>
      withClient(async (c) => {
        const [state, tail] = await Promise.all([c.sessions.state(id), c.sessions.transcriptTail(id, 10)]);
        const human = [
          `${id}: ${state.status} (platform: ${state.platformStatus})`,
          `  ${state.platform} session ${state.ref?.sessionId ?? '-'}${state.ref?.taskId ? ` task ${state.ref.taskId}` : ''}`,
          state.pendingInput ? `  waiting for input ${state.pendingInput.requestId}: ${state.pendingInput.prompt}` : '',
          `  events ${state.counts.platformEvents}, transcript ${state.counts.transcriptEntries}, messages ${state.counts.messagesSent}, tasks ${state.counts.tasks}`,
          ...tail.map((e) => '  ' + line(e)),
          ...state.artifacts.map((a) => `  artifact ${a.name}: ${a.uri}`),
        ].filter(Boolean);
        print(out(), human.join('\n'), { ...state, transcriptTail: tail });
      }),
    );

  session
    .command('list')
    .description('list sessions (visibility query)')
    .addOption(new Option('--provider <platform>').choices([...SESSION_PLATFORMS]))
    .addOption(new Option('--status <status>').choices([...SESSION_STATUSES]))
    .option('--awaiting', 'only sessions waiting for a person')
    .option('--limit <n>', 'at most n rows', limitArg, 100)
    .action((o: SessionListOpts) =>
      withClient(async (c) => {
        const rows = await c.sessions.list({
          provider: o.provider,
          status: o.status,
          awaiting: o.awaiting ? true : undefined,
          limit: o.limit,
        });
        const human = rows.length
          ? rows
              .map(
                (r) =>
                  `${r.workflowId}  ${r.provider ?? '-'}  ${r.status ?? '-'}${r.awaitingHuman ? '  (awaiting human)' : ''}  ${r.workflowStatus}  ${r.startTime}`,
              )
              .join('\n')
          : 'no sessions';
        print(out(), human, rows);
      }),
    );

  // ---------------- approvals ----------------
  const research = program.command('research').description('deep research with an outline approval gate (Web Agent)');
  research
    .command('start')
    .description('start a deep-research run; its outline waits for approval')
    .requiredOption('--topic <text>', 'what to research')
    .addOption(new Option('--depth <depth>').choices(['light', 'standard', 'deep']).default('standard'))
    .option('--approver <name...>', 'who may decide on the outline', ['me'])
    .option('--deadline <duration>', 'time to decide (e.g. 30m, 24h)', '24h')
    .option('--on-expiry <policy>', 'reject | approve | escalate:<who>[,<who>][@24h] | wait[:1h]', 'reject')
    .option('--no-approval', 'skip the outline gate')
    .option('--quorum <n>', 'distinct approvals needed (N of the approvers); one reject decides', (v) => Number(v), 1)
    .option('--separate-duties', 'whoever proposes edits cannot approve them')
    .option('--alias <alias>', 'credential alias', 'default')
    .option('--id <workflowId>', 'workflow id (your business key)')
    .action((o: ResearchStartOpts) =>
      withClient(async (c) => {
        const started = await c.research.start(
          {
            topic: o.topic,
            depth: o.depth,
            approvers: o.approver,
            deadlineSeconds: parseDuration(o.deadline),
            onExpiry: parseExpiry(o.onExpiry),
            quorum: o.quorum,
            separateDuties: Boolean(o.separateDuties),
            requireOutlineApproval: o.approval !== false,
            credentialAlias: o.alias,
          },
          { workflowId: o.id },
        );
        print(out(), `started ${started.workflowId}`, started);
      }),
    );
  research
    .command('outline <workflowId>')
    .description('show the outline waiting for approval')
    .action((id: string) =>
      withClient(async (c) => {
        const g = await c.gates.show(id);
        if (g.kind && g.kind !== 'research_outline')
          throw new SwitchboardClientError(
            'rejected',
            `workflow ${id} waits on a ${g.kind} gate, not a research outline`,
          );
        const human = g.open
          ? [
              `${id}: outline ${g.requestId} waiting for ${g.approvers?.join(' or ')} until ${g.deadline}`,
              JSON.stringify(g.shown, null, 2),
              `digest ${g.digest}`,
            ].join('\n')
          : `${id}: no outline is waiting${g.decided.length ? ` (last: ${g.decided.at(-1)!.decision} by ${g.decided.at(-1)!.decider})` : ''}`;
        print(out(), human, g);
      }),
    );
  research
    .command('show <workflowId>')
    .description('research status, rounds and decisions')
    .action((id: string) =>
      withClient(async (c) => {
        const [st, audit] = await Promise.all([c.research.state(id), c.gates.audit(id)]);
        print(
          out(),
          [
            `${id}: ${st.status}, ${st.rounds} outline round(s), task ${st.taskId ?? '-'}`,
            ...audit.map((a) => `  ${auditLine(a)}`),
          ].join('\n'),
          {
            ...st,
            audit,
          },
        );
      }),
    );

  program
    .command('approve <workflowId>')
    .description('approve what the workflow waits for (outline, join, relationship, a Mix permission or question)')
    .requiredOption('--as <name>', 'who is deciding (must be an approver)')
    .option(
      '--edits <file>',
      'JSON list of outline edits (approve with edits); for a text or choice question, the answer: \'["eu"]\'',
    )
    .option('--comment <text>')
    .option('--request <id>', 'the request being decided (default: the open one)')
    .option('--no-sign', "do not sign with the decider's key, even when one is on this machine")
    .action((id: string, o: DecideOpts & { edits?: string }) =>
      withClient(async (c) => {
        const edits = o.edits
          ? (jsonArg(o.edits.startsWith('@') || o.edits.startsWith('[') ? o.edits : `@${o.edits}`) as (
              string | Record<string, unknown>
            )[])
          : undefined;
        const outcome = await c.gates.decide(
          id,
          {
            decider: o.as,
            decision: edits ? 'approve_with_edits' : 'approve',
            edits,
            comment: o.comment,
            requestId: o.request,
          },
          { signWith: signingKey(o.as, o.sign) },
        );
        print(out(), describeOutcome(outcome), outcome);
      }),
    );
  program
    .command('reject <workflowId>')
    .description('reject what the workflow waits for')
    .requiredOption('--as <name>', 'who is deciding (must be an approver)')
    .requiredOption('--reason <text>', 'why')
    .option('--comment <text>')
    .option('--request <id>', 'the request being decided (default: the open one)')
    .option('--no-sign', "do not sign with the decider's key, even when one is on this machine")
    .action((id: string, o: DecideOpts & { reason: string }) =>
      withClient(async (c) => {
        const outcome = await c.gates.decide(
          id,
          { decider: o.as, decision: 'reject', reason: o.reason, comment: o.comment, requestId: o.request },
          { signWith: signingKey(o.as, o.sign) },
        );
        print(out(), describeOutcome(outcome), outcome);
      }),
    );

  program
    .command('audit <workflowId>')
    .description("every decision, vote and refused attempt on a workflow's gate")
    .action((id: string) =>
      withClient(async (c) => {
        const audit = await c.gates.audit(id);
        print(out(), audit.length ? audit.map(auditLine).join('\n') : `${id}: nothing decided or attempted yet`, audit);
      }),
    );

  const keys = program.command('keys').description('decider keys (Ed25519): prove who decides');
  keys
    .command('create')
    .description('create a key pair: the private key stays here, the public key goes to the trusted directory')
    .requiredOption('--as <name>', 'the approver name the key proves')
    .action((o: { as: string }) => {
      const k = createKey(keysDir(), o.as);
      print(
        out(),
        `created key ${k.keyId} for ${k.name} in ${keysDir()} (private/${k.name}.pem; trusted/${k.name}.pub.pem)`,
        k,
      );
    });
  keys
    .command('list')
    .description('keys on this machine: who can sign here, who a worker reading this directory trusts')
    .action(() => {
      const rows = listKeys(keysDir());
      print(
        out(),
        rows.length
          ? rows
              .map(
                (k) =>
                  `${k.name}  ${k.keyId}  ${k.canSign ? 'can sign here' : '-'}  ${k.trusted ? 'trusted' : 'not trusted'}`,
              )
              .join('\n')
          : `no keys in ${keysDir()}`,
        rows,
      );
    });

  const joins = program.command('joins').description('Mycel join and relationship requests');
  joins
    .command('watch')
    .description("follow an identity's notifications and open an approval for each request")
    .requiredOption('--as <alias>', 'the Mycel identity (token alias) whose requests to watch')
    .option('--approver <alias...>', 'owner aliases who decide (default: the watched alias)')
    .option('--deadline <duration>', 'time to decide each request', '24h')
    .option('--on-expiry <policy>', 'reject | approve | escalate:<who>[@24h] | wait[:1h]', 'reject')
    .option('--quorum <n>', 'distinct approvals needed for each request; one reject decides', (v) => Number(v), 1)
    .option('--separate-duties', 'whoever proposes edits cannot approve them')
    .action((o: GateOpts & { as: string; approver?: string[] }) =>
      withClient(async (c) => {
        const started = await c.mycel.startInbox({
          alias: o.as,
          approvers: o.approver,
          deadlineSeconds: parseDuration(o.deadline),
          onExpiry: parseExpiry(o.onExpiry),
          quorum: o.quorum,
          separateDuties: Boolean(o.separateDuties),
        });
        print(out(), `watching ${o.as}: ${started.workflowId}`, started);
      }),
    );
  joins
    .command('list')
    .option('--limit <n>', 'at most n rows', limitArg, 100)
    .action((o: ListOpts) =>
      withClient(async (c) => {
        const rows = await c.mycel.list('joinRequest', { limit: o.limit });
        print(
          out(),
          rows.length
            ? rows
                .map(
                  (r) =>
                    `${r.workflowId}  ${r.switchboardStatus ?? '-'}${r.awaitingHuman ? '  (awaiting human)' : ''}  ${r.status}`,
                )
                .join('\n')
            : 'no join requests',
          rows,
        );
      }),
    );

  // ---------------- webhook outbox ----------------
  const outbox = program.command('outbox').description('the webhook outbox: signed deliveries, dead letters, replay');
  outbox
    .command('list')
    .description('deliveries, newest first (visibility query)')
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices([...DELIVERY_STATUSES]))
    .option('--endpoint <alias>', 'only deliveries to this endpoint')
    .option('--limit <n>', 'at most n rows', limitArg, 100)
    .action((o: ListOpts<DeliveryStatus> & { endpoint?: string }) =>
      withClient(async (c) => {
        const rows = await c.outbox.list({ status: o.status, endpoint: o.endpoint, limit: o.limit });
        const human = rows.length
          ? rows
              .map(
                (r) =>
                  `${r.workflowId}  ${r.status ?? '-'}  ${r.eventType ?? '-'}  attempts ${r.attempts ?? 0}${r.deadReason ? `  (${r.deadReason})` : r.lastError ? `  (last: ${r.lastError})` : ''}`,
              )
              .join('\n')
          : o.status
            ? `no ${o.status} deliveries`
            : 'no deliveries';
        print(out(), human, rows);
      }),
    );
  outbox
    .command('show <workflowId>')
    .description('one delivery: status, attempts, why it is dead')
    .action((id: string) =>
      withClient(async (c) => {
        const v = await c.outbox.show(id);
        const human = [
          `${id}: ${v.status} (${v.eventType} to ${v.endpoint}, message ${v.messageId})`,
          v.deadReason
            ? `  ${v.status === 'dead' ? 'dead' : 'reason'}: ${v.deadReason}; replayable until ${v.retainUntil}`
            : '',
          v.nextAttemptAt ? `  next attempt at ${v.nextAttemptAt}` : '',
          ...v.attempts.map(
            (a) =>
              `  #${a.n} ${a.at} ${a.outcome}${'status' in a && a.status ? ` ${a.status}` : ''}${'reason' in a ? `: ${a.reason}` : ''}${a.replayBy ? ` (replay by ${a.replayBy})` : ''}`,
          ),
        ].filter(Boolean);
        print(out(), human.join('\n'), v);
      }),
    );
  outbox
    .command('replay <workflowId...>')
    .description('try dead letters again: one attempt each (or the whole schedule with --full)')
    .option('--as <name>', 'who is replaying (recorded with the attempt)')
    .option('--full', 'run the whole retry schedule again')
    .action((ids: string[], o: { as?: string; full?: boolean }) =>
      withClient(async (c) => {
        const results = await c.outbox.replay(ids, {
          by: o.as ?? process.env.USER,
          fullSchedule: o.full ? true : undefined,
        });
        const human = results
          .map((r) =>
            r.ok
              ? `${r.workflowId}: ${r.attempt.outcome}${'reason' in r.attempt ? ` (${r.attempt.reason})` : ''}`
              : `${r.workflowId}: not replayed: ${r.message}`,
          )
          .join('\n');
        print(out(), human, results);
        const failed = results.find((r) => !r.ok);
        if (failed && !failed.ok) process.exitCode = EXIT[failed.code];
      }),
    );
  outbox
    .command('enable <endpoint>')
    .description('enable an endpoint a 410 Gone disabled')
    .option('--as <name>', 'who is enabling it')
    .action((endpoint: string, o: { as?: string }) =>
      withClient(async (c) => {
        const r = await c.outbox.enable(endpoint, o.as ?? process.env.USER);
        print(out(), `endpoint ${endpoint} enabled (disabled since ${r.disabledSince})`, r);
      }),
    );
  outbox
    .command('send')
    .description('queue one signed message for an endpoint alias (the same message id is delivered once)')
    .option('--endpoint <alias>', 'endpoint alias (SWITCHBOARD_WEBHOOK_<ALIAS>_URL)', 'default')
    .requiredOption('--id <messageId>', 'message id (webhook-id)')
    .requiredOption('--type <eventType>', 'event type, e.g. monitor.alert')
    .requiredOption('--payload <json>', 'JSON payload or @file (at most 64 KB)')
    .action((o: { endpoint: string; id: string; type: string; payload: string }) =>
      withClient(async (c) => {
        const r = await c.outbox.send({
          endpoint: o.endpoint,
          messageId: o.id,
          eventType: o.type,
          payload: jsonArg(o.payload),
        });
        print(out(), r.duplicate ? `already queued: ${r.workflowId}` : `queued ${r.workflowId}`, r);
      }),
    );

  // ---------------- monitors ----------------
  const monitor = program
    .command('monitor')
    .description(
      'monitors, one durable workflow each (monitor-<key>): Web Agent Track monitors, and scheduled monitors on a Temporal Schedule (--cron/--every)',
    );
  const describeMonitor = (key: string, m: TrackMonitorState) =>
    `${key}: ${m.status}${m.pauseReason ? ` (${m.pauseReason})` : ''}, monitor ${m.monitorId ?? '-'}, last snapshot ${m.lastSnapshotId ?? '-'}` +
    `${m.pendingRequest ? `, waiting: ${m.pendingRequest.prompt ?? m.pendingRequest.id}` : ''}` +
    `${m.lastChange ? `, last change: ${m.lastChange.summary}` : ''}` +
    `${m.deliveries ? `, deliveries ${m.deliveries.delivered} delivered / ${m.deliveries.pending} pending / ${m.deliveries.dead} dead` : ''}` +
    `${m.skippedRuns || m.skippedPolls ? `, skipped while waiting on a person: ${m.skippedRuns ?? 0} run(s), ${m.skippedPolls ?? 0} poll(s)` : ''}`;
  monitor
    .command('create <key>')
    .description(
      'create a monitor (monitor-<key>): a Track monitor (--intent/--schedule/--callback), or, with --cron or --every, one Switchboard schedules',
    )
    .option('--intent <text>', 'Track: what to watch for')
    .option(
      '--schedule <json>',
      'Track: e.g. {"kind":"interval","every_seconds":3600} or {"kind":"cron","expression":"0 * * * *"}',
    )
    .option('--callback <url>', 'Track: where the platform sends notifications (callback_url)')
    .option('--trigger <json>', 'Track: trigger DSL, e.g. {"op":"lt","field":"price","value":999}')
    .option('--poll <duration>', 'Track: how often Switchboard reads the monitor (e.g. 60s, 5m)', '5m')
    .option('--retry-dead <n>', 'Track: retry each dead platform delivery up to n times', (v) => Number(v), 0)
    .option('--approver <name...>', 'who answers alignment questions', ['me'])
    .option('--deadline <duration>', 'time to answer (e.g. 30m, 24h)', '24h')
    .option(
      '--on-expiry <policy>',
      'reject | escalate:<who>[,<who>][@24h] | wait[:1h] (reject cancels the monitor)',
      'reject',
    )
    .option('--alias <alias>', 'credential alias', 'default')
    .option('--cron <expr...>', 'scheduled: cron expression(s), 5 fields (e.g. "0 9 * * MON-FRI") or @daily')
    .option('--every <duration...>', 'scheduled: interval(s), e.g. 30s, 5m, 1h')
    .option('--tz <zone>', 'scheduled: IANA time zone of the cron expressions', 'UTC')
    .option('--jitter <duration>', 'scheduled: random delay added to each tick (e.g. 30s)')
    .option('--start-at <time>', 'scheduled: no tick before this ISO time')
    .option('--end-at <time>', 'scheduled: no tick after this ISO time')
    .option('--overlap <policy>', 'scheduled: Schedule overlap policy (SKIP, BUFFER_ONE, ALLOW_ALL…)')
    .option('--catchup <duration>', 'scheduled: catch-up window (e.g. 1m, 1h)')
    .option(
      '--check <spec>',
      'scheduled: web_search:<query> | track:<monitorId> | deep_research:<topic> | routine:<routineId> | JSON',
    )
    .option('--condition <spec>', 'scheduled: <op>[:<field>[:<value>]] (lt, gt, eq, contains, changed) or JSON')
    .option('--notify <endpoint>', 'scheduled: outbox endpoint alias for alerts', 'default')
    .option('--alert-after-failures <n>', 'scheduled: alert after n failed ticks in a row', (v) => Number(v))
    .option('--silence <duration>', 'scheduled: alert when nothing changed for this long')
    .option('--digest <duration>', 'scheduled: one digest per period instead of one message per hit')
    .option('--dedupe <duration>', 'scheduled: the same alert within this window is sent once')
    .option('--description <text>', 'scheduled: what the monitor is for')
    .action((key: string, o: MonitorCreateOpts) =>
      withClient(async (c) => {
        if (o.cron || o.every) {
          const started = await c.scheduledMonitors.create({
            key,
            description: o.description,
            check: parseCheck(o.check),
            condition: o.condition ? parseCondition(o.condition) : undefined,
            schedule: {
              cron: o.cron ?? [],
              everySeconds: (o.every ?? []).map(parseDuration),
              timezone: o.tz,
              jitterSeconds: o.jitter ? parseDuration(o.jitter) : undefined,
              startAt: o.startAt,
              endAt: o.endAt,
              overlap: o.overlap,
              catchupWindowSeconds: o.catchup ? parseDuration(o.catchup) : undefined,
            },
            notify: { endpoint: o.notify },
            alerts: {
              afterFailures: o.alertAfterFailures,
              silenceSeconds: o.silence ? parseDuration(o.silence) : undefined,
              digestSeconds: o.digest ? parseDuration(o.digest) : undefined,
              dedupeSeconds: o.dedupe ? parseDuration(o.dedupe) : undefined,
            },
            approvers: o.approver,
            deadlineSeconds: parseDuration(o.deadline),
            onExpiry: parseExpiry(o.onExpiry),
            credentialAlias: o.alias,
          });
          return print(out(), `started ${started.workflowId} (schedule ${started.scheduleId})`, started);
        }
        const { intent, schedule, callback } = o;
        if (!intent || !schedule || !callback) {
          const name = !intent ? '--intent' : !schedule ? '--schedule' : '--callback';
          throw new SwitchboardClientError(
            'invalid_input',
            `a Track monitor needs ${name} (or give --cron/--every for a scheduled monitor)`,
          );
        }
        const started = await c.monitors.create(key, {
          intent,
          schedule: jsonArg(schedule) as TrackMonitorInput['schedule'],
          notifyChannel: { kind: 'callback_url', url: callback },
          triggerDsl: o.trigger ? (jsonArg(o.trigger) as TrackMonitorInput['triggerDsl']) : undefined,
          pollSeconds: parseDuration(o.poll),
          retryDeadDeliveries: o.retryDead,
          approvers: o.approver,
          deadlineSeconds: parseDuration(o.deadline),
          onExpiry: parseExpiry(o.onExpiry),
          credentialAlias: o.alias,
        });
        print(out(), `started ${started.workflowId}`, started);
      }),
    );
  monitor
    .command('show <key>')
    .description('the monitor as Switchboard last saw it')
    .action((key: string) =>
      withClient(async (c) => {
        if (await c.scheduledMonitors.isScheduled(key)) {
          const v = await c.scheduledMonitors.show(key);
          return print(out(), describeScheduled(v), v);
        }
        const m = await c.monitors.show(key);
        print(out(), describeMonitor(key, m), m);
      }),
    );
  monitor
    .command('list')
    .description('monitors, through one visibility query')
    .addOption(new Option('--status <status>').choices([...new Set([...MONITOR_STATUSES, ...SMON_STATUSES])]))
    .addOption(
      new Option('--kind <kind>', 'Track monitors, scheduled ones, or both')
        .choices(['track', 'scheduled', 'all'])
        .default('all'),
    )
    .option('--limit <n>', 'at most n rows', limitArg, 100)
    .action((o: ListOpts & { kind: 'track' | 'scheduled' | 'all' }) =>
      withClient(async (c) => {
        const track = (MONITOR_STATUSES as readonly string[]).includes(o.status ?? 'active') && o.kind !== 'scheduled';
        const sched = (SMON_STATUSES as readonly string[]).includes(o.status ?? 'active') && o.kind !== 'track';
        const rows = [
          ...(track
            ? (await c.monitors.list({ status: o.status, limit: o.limit })).map((r) => ({
                kind: 'track' as const,
                ...r,
              }))
            : []),
          ...(sched ? await c.scheduledMonitors.list({ status: o.status, limit: o.limit }) : []),
        ];
        const human = rows.length
          ? rows
              .map(
                (r) =>
                  `${r.workflowId}  ${r.kind}  ${r.status ?? '-'}${r.awaitingHuman ? ' (waiting on a person)' : ''}  ${r.workflowStatus}  ${r.startTime}`,
              )
              .join('\n')
          : 'no monitors';
        print(out(), human, rows);
      }),
    );
  const steered =
    (
      verb: string,
      fn: (c: SwitchboardClient, key: string, o: Record<string, string | undefined>) => Promise<unknown>,
    ) =>
    (key: string, o: Record<string, string>) =>
      withClient(async (c) => {
        const r = (await fn(c, key, o)) as { status: string; snapshotId?: string };
        print(out(), `${key}: ${verb}, now ${r.status}${r.snapshotId ? ` (snapshot ${r.snapshotId})` : ''}`, r);
      });
  /** A scheduled monitor's command, or the Track one's when the key names a Track monitor. */
  const either =
    (
      track: (c: SwitchboardClient, key: string, o: Record<string, string | undefined>) => Promise<unknown>,
      scheduled: (c: SwitchboardClient, key: string, o: Record<string, string | undefined>) => Promise<unknown>,
    ) =>
    async (c: SwitchboardClient, key: string, o: Record<string, string | undefined>) =>
      (await c.scheduledMonitors.isScheduled(key)) ? scheduled(c, key, o) : track(c, key, o);
  monitor
    .command('pause <key>')
    .option('--reason <text>', 'why (Track monitors)')
    .option('--note <text>', 'note on the Schedule (scheduled monitors)')
    .action(
      steered(
        'paused',
        either(
          (c, k, o) => c.monitors.pause(k, { reason: o.reason ?? o.note }),
          (c, k, o) => c.scheduledMonitors.pause(k, { note: o.note ?? o.reason }),
        ),
      ),
    );
  monitor
    .command('resume <key>')
    .option('--note <text>', 'note on the Schedule (scheduled monitors)')
    .action(
      steered(
        'resumed',
        either(
          (c, k) => c.monitors.resume(k),
          (c, k, o) => c.scheduledMonitors.resume(k, { note: o.note }),
        ),
      ),
    );
  monitor
    .command('refine <key>')
    .requiredOption('--trigger <json>', 'the new trigger DSL, e.g. {"op":"lt","field":"price","value":950}')
    .action(
      steered('refined', (c, k, o) =>
        c.monitors.refine(k, { triggerDsl: jsonArg(o.trigger!) as RefineMonitorArgs['triggerDsl'] }),
      ),
    );
  monitor
    .command('run-now <key>')
    .description('fire one tick now (a scheduled monitor: the Schedule triggers it)')
    .action(
      steered(
        'ran',
        either(
          (c, k) => c.monitors.runNow(k),
          (c, k) => c.scheduledMonitors.runNow(k),
        ),
      ),
    );
  monitor
    .command('snooze <key>')
    .description('scheduled monitors: keep checking, drop notifications until a time')
    .requiredOption('--until <time>', 'ISO time, or a duration from now (e.g. 2h)')
    .action(
      steered('snoozed', (c, k, o) => {
        const until = /^\d+\s*[smhd]?$/.test(o.until!)
          ? new Date(Date.now() + parseDuration(o.until!) * 1000).toISOString()
          : o.until!;
        return c.scheduledMonitors.snooze(k, { until });
      }),
    );
  monitor
    .command('backfill <key>')
    .description('scheduled monitors: ask the Schedule for the ticks between two times')
    .requiredOption('--from <time>', 'ISO time')
    .requiredOption('--to <time>', 'ISO time')
    .action(steered('backfill asked', (c, k, o) => c.scheduledMonitors.backfill(k, { from: o.from!, to: o.to! })));
  monitor
    .command('message <key> <text>')
    .description('free-text guidance into the alignment queue')
    .action((key: string, text: string) =>
      withClient(async (c) => {
        const r = await c.monitors.message(key, text);
        print(out(), `${key}: guidance queued`, r);
      }),
    );
  monitor
    .command('deliveries <key>')
    .description("the platform's webhook deliveries for this monitor, newest first")
    .addOption(new Option('--status <status>').choices(['pending', 'delivered', 'dead']))
    .option('--limit <n>', 'at most n rows (≤ 50)', limitArg)
    .action((key: string, o: { status?: 'pending' | 'delivered' | 'dead'; limit?: number }) =>
      withClient(async (c) => {
        const r = await c.monitors.deliveries(key, { status: o.status, limit: o.limit });
        const rows = r.deliveries ?? [];
        const human = rows.length
          ? rows
              .map((d) =>
                `${d.id}  ${d.status}  ${d.attempts} attempt(s)  ${d.eventType ?? '-'}  ${d.lastError ?? ''}`.trimEnd(),
              )
              .join('\n')
          : 'no deliveries';
        print(out(), human, rows);
      }),
    );
  monitor
    .command('retry <key> <deliveryId>')
    .description('retry one dead platform delivery')
    .action((key: string, deliveryId: string) =>
      withClient(async (c) => {
        const r = await c.monitors.retryDelivery(key, deliveryId);
        print(out(), `${key}: delivery ${deliveryId} retried: ${r.detail ?? r.delivery?.status ?? 'done'}`, r);
      }),
    );
  monitor
    .command('cancel <key>')
    .option('--reason <text>')
    .action(
      steered(
        'cancelled',
        either(
          (c, k, o) => c.monitors.cancel(k, { reason: o.reason }),
          (c, k, o) => c.scheduledMonitors.cancel(k, { reason: o.reason }),
        ),
      ),
    );

  program
    .command('serve')
    .description('the gateway: JSON API, live event streams and the web inbox (http://127.0.0.1:7390)')
    .option('--host <host>', 'address to bind (SWITCHBOARD_GATEWAY_HOST)')
    .option('--port <port>', 'port (SWITCHBOARD_GATEWAY_PORT)', (v) => Number(v))
    .action(async (o: { host?: string; port?: number }) => {
      const env = parseEnv();
      // Loaded here: the other commands need no HTTP server.
      const { gatewayEnvOptions, startGateway } = await import('../gateway/server.js');
      const sb = await SwitchboardClient.fromEnv();
      const gw = await startGateway({
        sb,
        host: o.host ?? env.SWITCHBOARD_GATEWAY_HOST,
        port: o.port ?? env.SWITCHBOARD_GATEWAY_PORT,
        ...gatewayEnvOptions(env),
      });
      process.stderr.write(`Switchboard gateway on ${gw.url} (inbox ${gw.url}/ui/inbox, API ${gw.url}/openapi.json)\n`);
      if (gw.deps.users.all().length === 0)
        process.stderr.write('No one can sign in yet: switchboard users add <name>\n');
      if (
        !['127.0.0.1', 'localhost', '::1'].includes(o.host ?? env.SWITCHBOARD_GATEWAY_HOST) &&
        !env.SWITCHBOARD_GATEWAY_ORIGIN
      )
        process.stderr.write(
          'Listening beyond loopback over plain HTTP: put TLS in front and set SWITCHBOARD_GATEWAY_ORIGIN to the https origin\n',
        );
      await new Promise<void>((resolve) => {
        const stop = () =>
          void gw
            .close()
            .then(() => sb.close())
            .then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  const users = program.command('users').description('people who may use the gateway (web inbox and API)');
  users
    .command('add <name>')
    .description('adds a person: prints their password and API token once, and creates their decision key')
    .option('--password <password>', 'choose the password (at least 12 characters); else one is generated')
    .option('--reset', 'issue a new password and token for an existing person', false)
    .addOption(
      new Option('--role <role>', 'decider (read and decide) or viewer (read only)').choices(['decider', 'viewer']),
    )
    .option('--oidc-subject <sub...>', 'OIDC subjects (`sub` at SWITCHBOARD_OIDC_ISSUER) that sign in as this person')
    .action(
      async (
        name: string,
        o: { password?: string; reset: boolean; role?: 'decider' | 'viewer'; oidcSubject?: string[] },
      ) => {
        const env = parseEnv();
        const { gatewayDir, UserStore } = await import('../gateway/state.js');
        const store = new UserStore(gatewayDir(env));
        let added;
        try {
          added = await store.add(name, {
            password: o.password,
            reset: o.reset,
            role: o.role,
            oidcSubjects: o.oidcSubject,
          });
        } catch (err) {
          throw new SwitchboardClientError('invalid_input', err instanceof Error ? err.message : String(err));
        }
        // The gateway decides as this person with this key; the worker trusts its public half.
        const dir = keysDir(env);
        const key = listKeys(dir).find((k) => k.name === name && k.canSign) ?? createKey(dir, name);
        print(
          out(),
          `${name} added.\n  password: ${added.password}\n  API token: ${added.token}\n  decision key: ${key.keyId} (${dir})\nNeither is shown again; the gateway keeps only hashes.`,
          { name, password: added.password, token: added.token, keyId: key.keyId },
        );
      },
    );
  users
    .command('set <name>')
    .description("changes a person's role or OIDC subjects (password and token stay)")
    .addOption(
      new Option('--role <role>', 'decider (read and decide) or viewer (read only)').choices(['decider', 'viewer']),
    )
    .option(
      '--oidc-subject <sub...>',
      'OIDC subjects that sign in as this person (replaces the list; --no-oidc-subject clears it)',
    )
    .option('--no-oidc-subject', 'no OIDC sign-in for this person')
    .action(async (name: string, o: { role?: 'decider' | 'viewer'; oidcSubject?: string[] | false }) => {
      const env = parseEnv();
      const { gatewayDir, roleOf, UserStore } = await import('../gateway/state.js');
      let row;
      try {
        row = new UserStore(gatewayDir(env)).update(name, {
          role: o.role,
          oidcSubjects: o.oidcSubject === false ? [] : o.oidcSubject,
        });
      } catch (err) {
        throw new SwitchboardClientError('invalid_input', err instanceof Error ? err.message : String(err));
      }
      const shown = { name: row.name, role: roleOf(row), oidcSubjects: row.oidcSubjects ?? [] };
      print(
        out(),
        `${shown.name}: ${shown.role}${shown.oidcSubjects.length ? `, OIDC ${shown.oidcSubjects.join(', ')}` : ''}`,
        shown,
      );
    });
  users.command('list').action(async () => {
    const env = parseEnv();
    const { gatewayDir, roleOf, UserStore } = await import('../gateway/state.js');
    const rows = new UserStore(gatewayDir(env)).all().map((u) => ({
      name: u.name,
      role: roleOf(u),
      createdAt: u.createdAt,
      tokens: u.tokens.length,
      oidcSubjects: u.oidcSubjects ?? [],
    }));
    print(
      out(),
      rows.map((r) => `${r.name}  ${r.role}  since ${r.createdAt}`).join('\n') ||
        'no people yet (switchboard users add <name>)',
      rows,
    );
  });

  program
    .command('link <workflowId>')
    .description('a one-time signed approve/reject link for a person on the open gate (for notifications)')
    .requiredOption('--for <name>', 'who decides through the link (an approver)')
    .addOption(new Option('--decision <d>', 'approve or reject').choices(['approve', 'reject']).default('approve'))
    .option('--ttl <duration>', 'how long the link is valid (e.g. 30m, 24h; at most 7d)', '24h')
    .action((workflowId: string, o: { for: string; decision: 'approve' | 'reject'; ttl: string }) =>
      withClient(async (c) => {
        const env = parseEnv();
        const { gatewayDir } = await import('../gateway/state.js');
        const { issueLinkFor } = await import('../gateway/links.js');
        const dir = gatewayDir(env);
        const ttl = parseDuration(o.ttl);
        const port = env.SWITCHBOARD_GATEWAY_PORT;
        const origin = env.SWITCHBOARD_GATEWAY_ORIGIN ?? `http://${env.SWITCHBOARD_GATEWAY_HOST}:${port}`;
        const link = await issueLinkFor(
          { sb: c, dir, secret: env.SWITCHBOARD_GATEWAY_SECRET, origin },
          o.for,
          workflowId,
          o.decision,
          ttl,
        );
        print(out(), `${link.url}\n(valid until ${link.expiresAt}, once)`, link);
      }),
    );

  program
    .command('inbox')
    .description('everything waiting on a person, across all kinds')
    .option('--limit <n>', 'at most n rows', limitArg, 1000)
    .action((o: { limit: number }) =>
      withClient(async (c) => {
        const rows = await c.gates.inbox({ limit: o.limit });
        const human = rows.length
          ? rows
              .map(
                (r) =>
                  `${r.workflowId}  ${r.kind ?? '-'}  "${r.subject ?? ''}"  since ${r.waitingSince ?? '-'}  deadline ${r.deadline ?? '-'}  approvers ${r.approvers.join(',') || '-'}`,
              )
              .join('\n')
          : 'nothing is waiting on a person';
        print(out(), human, rows);
      }),
    );

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const json = argv.includes('--json');
    if (err instanceof SwitchboardClientError) {
      process.stderr.write(
        json ? JSON.stringify({ error: err.code, message: err.message }) + '\n' : `switchboard: ${err.message}\n`,
      );
      return EXIT[err.code];
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: configuration error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    // Spans of this command reach the collector before the process ends (no-op without tracing).
    await shutdownTracing();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.env.SWITCHBOARD_CLI_MAIN === '1') {
  void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
