/**
 * The `switchboard` CLI: start, steer and inspect agent sessions. `--json` on every command prints
 * machine-readable output. Exit codes: 0 ok, 1 failed, 2 invalid input, 3 not found, 4 rejected,
 * 5 already exists.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config.js';
import { SESSION_PLATFORMS, SESSION_STATUSES, type AgentSessionInputRaw, type TranscriptEntry } from '../workflows/agentSession/types.js';
import { type ClientErrorCode, SwitchboardClient, SwitchboardClientError } from './index.js';

const EXIT: Record<ClientErrorCode, number> = { failed: 1, invalid_input: 2, not_found: 3, rejected: 4, already_exists: 5 };

interface Out {
  json: boolean;
}

function print(out: Out, human: string, data: unknown): void {
  process.stdout.write(out.json ? JSON.stringify(data, null, 2) + '\n' : human + '\n');
}

function line(e: TranscriptEntry): string {
  return `[${e.role}/${e.kind}] ${e.text}`;
}

/** Parses a JSON option value (inline or @file). */
function jsonArg(value: string): unknown {
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch {
    throw new SwitchboardClientError('invalid_input', `not valid JSON: ${value.slice(0, 60)}`);
  }
}

async function withClient<T>(fn: (c: SwitchboardClient) => Promise<T>): Promise<T> {
  const c = await SwitchboardClient.fromEnv();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
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
    .action(async (o) => {
      const input = {
        platform: o.provider,
        task: o.task,
        title: o.title,
        credentialAlias: o.alias,
        followUpWindowSeconds: o.followUpWindow,
        deleteOnEnd: o.deleteOnEnd,
        ...(o.options ? { [o.provider]: jsonArg(o.options) } : {}),
      } as AgentSessionInputRaw;
      await withClient(async (c) => {
        const started = await c.startSession(input, { workflowId: o.id });
        if (!o.follow) return print(out(), `started ${started.workflowId}`, started);
        if (!out().json) process.stdout.write(`started ${started.workflowId}\n`);
        const final = await c.follow(started.workflowId, (e) => {
          process.stdout.write(out().json ? JSON.stringify(e) + '\n' : line(e) + '\n');
        });
        print(out(), `${final.status}${final.result ? `: ${final.result}` : ''}${final.error ? `: ${final.error}` : ''}`, { ...started, final });
        if (final.status === 'failed') process.exitCode = 1;
      });
    });

  session
    .command('message <workflowId> <text>')
    .description('send a message to the running agent')
    .action((id: string, text: string) => withClient(async (c) => print(out(), 'message sent', await c.sendMessage(id, text))));

  session
    .command('answer <workflowId>')
    .description('answer the pending input request')
    .requiredOption('--request <id>', 'input request id (see `session show`)')
    .requiredOption('--response <json>', 'the answer, as JSON (a bare word is sent as a string)')
    .action((id: string, o) =>
      withClient(async (c) => {
        let response: unknown = o.response;
        try {
          response = JSON.parse(o.response);
        } catch {
          /* a bare word is a string answer */
        }
        print(out(), 'answer sent', await c.answerInput(id, o.request, response));
      }),
    );

  session
    .command('follow-up <workflowId> <task>')
    .description('start the next task in the same session (Web Agent)')
    .action((id: string, task: string) => withClient(async (c) => print(out(), 'follow-up started', await c.followUp(id, task))));

  session
    .command('rename <workflowId> <name>')
    .description('rename the session (Wyse Mate)')
    .action((id: string, name: string) => withClient(async (c) => print(out(), 'renamed', await c.rename(id, name))));

  session
    .command('callbacks <workflowId> <json>')
    .description('replace the session callbacks (Mix); [] clears them')
    .action((id: string, json: string) => withClient(async (c) => print(out(), 'callbacks set', await c.setCallbacks(id, jsonArg(json) as Record<string, unknown>[]))));

  session
    .command('rewind <workflowId> <messageId>')
    .description('rewind the session to a message (Mix)')
    .option('--clean-media', 'also remove media created after it')
    .action((id: string, messageId: string, o) => withClient(async (c) => print(out(), 'rewound', await c.rewind(id, messageId, Boolean(o.cleanMedia)))));

  session
    .command('cancel <workflowId>')
    .description('cancel the session on the platform and end the workflow')
    .option('--reason <text>')
    .action((id: string, o) => withClient(async (c) => print(out(), 'cancelled', await c.cancel(id, o.reason))));

  session
    .command('show <workflowId>')
    .description('status, platform ids, pending input, counts and transcript tail')
    .action((id: string) =>
      withClient(async (c) => {
        const [state, tail] = await Promise.all([c.state(id), c.transcriptTail(id, 10)]);
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
    .option('--limit <n>', 'at most n rows', (v) => Number(v), 100)
    .action((o) =>
      withClient(async (c) => {
        const rows = await c.listSessions({ provider: o.provider, status: o.status, awaiting: o.awaiting ? true : undefined, limit: o.limit });
        const human = rows.length
          ? rows.map((r) => `${r.workflowId}  ${r.provider ?? '-'}  ${r.status ?? '-'}${r.awaitingHuman ? '  (awaiting human)' : ''}  ${r.workflowStatus}  ${r.startTime}`).join('\n')
          : 'no sessions';
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
      process.stderr.write(json ? JSON.stringify({ error: err.code, message: err.message }) + '\n' : `switchboard: ${err.message}\n`);
      return EXIT[err.code];
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: configuration error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.env.SWITCHBOARD_CLI_MAIN === '1') {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
