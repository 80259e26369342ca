/**
 * The gateway's own state, in one directory (`SWITCHBOARD_GATEWAY_DIR`, default
 * `<SWITCHBOARD_DATA_DIR>/gateway`), never in a workflow:
 * - `users.json`: people who may sign in, each with a scrypt password hash and the SHA-256 of
 *   their API tokens (tokens are 32 random bytes, so a fast hash is enough; passwords are not).
 * - `secret`: 32 random bytes that sign session cookies, CSRF tokens and decision links
 *   (`SWITCHBOARD_GATEWAY_SECRET` overrides it, e.g. when several gateways share one secret).
 * - `used-links.jsonl`: ids of decision links already used (one-time use survives a restart).
 * - `audit.jsonl`: every refused link, sign-in and CSRF failure, and every link used.
 *
 * The signing keys people decide with are the CLI's keys directory (`SWITCHBOARD_KEYS_DIR`):
 * `switchboard users add` creates the person's Ed25519 key there when they have none.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  opts: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Same rule as approver names (src/contracts/gates.ts `deciderName`): a person is an approver name. */
export const PERSON_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

/** scrypt cost: N=2^15 (≈ 50 ms and 32 MiB per check on this machine), the usual interactive setting. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * What a person may do. `decider` (the default, and what every person stored before roles is):
 * read, decide, answer, start, pause and cancel. `viewer`: read only — pages show no decision
 * forms and every state change (web form or API call) is refused with 403, changing nothing.
 */
export type Role = 'viewer' | 'decider';
/** Every role, for validation. */
export const ROLES: readonly Role[] = ['viewer', 'decider'];

/** One person as stored (nothing in it is a usable secret). */
export interface StoredUser {
  name: string;
  /** `scrypt$N$r$p$<salt b64>$<hash b64>` */
  password: string;
  /** SHA-256 (hex) of each API token. */
  tokens: string[];
  createdAt: string;
  /** Absent in files written before roles: a decider. */
  role?: Role;
  /** OIDC subjects (`sub` from the configured issuer) that sign in as this person. */
  oidcSubjects?: string[];
}

/** A person's role (a stored person without one is a decider, as before roles existed). */
export function roleOf(u: Pick<StoredUser, 'role'>): Role {
  return u.role === 'viewer' ? 'viewer' : 'decider';
}

/** Where the gateway keeps its state, from the environment. */
export function gatewayDir(
  env: { SWITCHBOARD_GATEWAY_DIR?: string; SWITCHBOARD_DATA_DIR?: string } = process.env,
): string {
  return env.SWITCHBOARD_GATEWAY_DIR ?? join(env.SWITCHBOARD_DATA_DIR ?? '.switchboard', 'gateway');
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes a file atomically with mode 0600 (a crash mid-write leaves the old file). */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The gateway secret: `SWITCHBOARD_GATEWAY_SECRET` (≥ 32 characters) or a generated file. */
export function loadSecret(dir: string, fromEnv?: string): Buffer {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('SWITCHBOARD_GATEWAY_SECRET must be at least 32 characters');
    return Buffer.from(fromEnv, 'utf8');
  }
  ensureDir(dir);
  const file = join(dir, 'secret');
  if (!existsSync(file)) writePrivate(file, randomBytes(32).toString('base64'));
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function checkPassword(stored: string, password: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** SHA-256 hex of a token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A fresh API token: `sbg_` + 32 random bytes (base64url). */
export function newToken(): string {
  return `sbg_${randomBytes(32).toString('base64url')}`;
}

/** A fresh password people can type: 20 base64url characters (120 bits). */
export function newPassword(): string {
  return randomBytes(15).toString('base64url');
}

/**
 * People who may use the gateway. Read from disk on each lookup, so `switchboard users add` on a
 * running gateway takes effect at once (the file is small: one line per person).
 */
export class UserStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'users.json');
  }

  all(): StoredUser[] {
    if (!existsSync(this.file)) return [];
    return (JSON.parse(readFileSync(this.file, 'utf8')) as { users: StoredUser[] }).users;
  }

  get(name: string): StoredUser | undefined {
    return this.all().find((u) => u.name === name);
  }

  /** The person an API token belongs to (compared by hash, in constant time per candidate). */
  byToken(token: string): StoredUser | undefined {
    const h = Buffer.from(tokenHash(token), 'hex');
    return this.all().find((u) => u.tokens.some((t) => timingSafeEqual(Buffer.from(t, 'hex'), h)));
  }

  /** The person an OIDC subject (of the configured issuer) signs in as. */
  byOidcSubject(sub: string): StoredUser | undefined {
    return this.all().find((u) => u.oidcSubjects?.includes(sub));
  }

  /** Checks a password; the same work is done for an unknown name (no timing oracle on names). */
  async verify(name: string, password: string): Promise<StoredUser | undefined> {
    const u = this.get(name);
    const ok = await checkPassword(u?.password ?? DUMMY_HASH, password);
    return u && ok ? u : undefined;
  }

  /**
   * Adds a person (or, with `reset`, gives an existing one a new password and token). Returns the
   * password and token in clear: this is the only time they exist outside the person's hands.
   */
  async add(
    name: string,
    opts: { password?: string; reset?: boolean; role?: Role; oidcSubjects?: string[] } = {},
  ): Promise<{ name: string; password: string; token: string }> {
    if (!PERSON_NAME.test(name) || name.includes('..'))
      throw new Error(`"${name}" is not a person's name (letters, digits, . _ @ -)`);
    if (opts.password !== undefined && opts.password.length < 12)
      throw new Error('a password must be at least 12 characters');
    const users = this.all();
    const existing = users.find((u) => u.name === name);
    if (existing && !opts.reset)
      throw new Error(`${name} already exists (use --reset to issue a new password and token)`);
    const password = opts.password ?? newPassword();
    const token = newToken();
    const subjects = opts.oidcSubjects ?? existing?.oidcSubjects;
    if (subjects) this.checkSubjects(users, name, subjects);
    const role = opts.role ?? existing?.role;
    const row: StoredUser = {
      name,
      password: await hashPassword(password),
      tokens: [tokenHash(token)],
      createdAt: new Date().toISOString(),
      ...(role ? { role } : {}),
      ...(subjects?.length ? { oidcSubjects: subjects } : {}),
    };
    const next = existing ? users.map((u) => (u.name === name ? row : u)) : [...users, row];
    ensureDir(this.dir);
    writePrivate(this.file, JSON.stringify({ users: next }, null, 2));
    return { name, password, token };
  }

  /**
   * Changes a person's role and/or OIDC subjects, keeping their password and tokens. Takes effect
   * on their next request (signed-in sessions included: the role is read on each one).
   */
  update(name: string, change: { role?: Role; oidcSubjects?: string[] }): StoredUser {
    const users = this.all();
    const u = users.find((x) => x.name === name);
    if (!u) throw new Error(`no person named ${name} (switchboard users add ${name})`);
    if (change.role !== undefined && !ROLES.includes(change.role))
      throw new Error(`a role is one of ${ROLES.join(', ')}`);
    if (change.oidcSubjects) this.checkSubjects(users, name, change.oidcSubjects);
    const row: StoredUser = {
      ...u,
      ...(change.role ? { role: change.role } : {}),
      ...(change.oidcSubjects ? { oidcSubjects: change.oidcSubjects } : {}),
    };
    if (row.oidcSubjects && row.oidcSubjects.length === 0) delete row.oidcSubjects;
    writePrivate(this.file, JSON.stringify({ users: users.map((x) => (x.name === name ? row : x)) }, null, 2));
    return row;
  }

  /** One subject signs in as one person only. */
  private checkSubjects(users: StoredUser[], name: string, subjects: string[]): void {
    for (const sub of subjects) {
      if (!sub || sub.length > 255) throw new Error('an OIDC subject is 1-255 characters');
      const other = users.find((u) => u.name !== name && u.oidcSubjects?.includes(sub));
      if (other) throw new Error(`OIDC subject ${sub} already signs in as ${other.name}`);
    }
  }
}

/** A valid hash of a random password, checked when a name is unknown so both paths cost the same. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

/** One audit line. */
export interface GatewayAuditEntry {
  at: string;
  event: string;
  who?: string;
  workflowId?: string;
  detail?: string;
  ip?: string;
}

/** Appends to `audit.jsonl` (synchronously: an audit line must not be lost to a crash right after). */
export class GatewayAudit {
  readonly file: string;
  constructor(dir: string) {
    ensureDir(dir);
    this.file = join(dir, 'audit.jsonl');
  }

  write(e: Omit<GatewayAuditEntry, 'at'>): void {
    appendFileSync(this.file, JSON.stringify({ at: new Date().toISOString(), ...e }) + '\n', { mode: 0o600 });
  }

  read(): GatewayAuditEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as GatewayAuditEntry);
  }
}

/**
 * Ids of used decision links, on disk: a link is marked used before its decision is sent, so a
 * crash in between leaves it spent (the person asks for a new link) rather than usable twice.
 */
export class UsedLinks {
  readonly file: string;
  constructor(dir: string) {
    ensureDir(dir);
    this.file = join(dir, 'used-links.jsonl');
  }

  /** Read on each call: another gateway process sharing the directory may have used a link. */
  private ids(): Set<string> {
    if (!existsSync(this.file)) return new Set();
    return new Set(
      readFileSync(this.file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  }

  has(id: string): boolean {
    return this.ids().has(id);
  }

  /**
   * Marks `id` used; false when it already was. Check and append are synchronous, so within one
   * process two requests cannot both pass; across processes sharing the directory the gate's own
   * idempotency still holds (the same decision twice returns the first outcome).
   */
  use(id: string): boolean {
    if (this.ids().has(id)) return false;
    appendFileSync(this.file, id + '\n', { mode: 0o600 });
    return true;
  }
}
