/**
 * Decider keys: Ed25519 key pairs that prove who made a decision (issue "trust boundary").
 *
 * Layout of a keys directory (`SWITCHBOARD_KEYS_DIR`, default `.switchboard/keys`):
 * - `private/<name>.pem`: a decider's private key (PKCS#8, mode 0600). It stays on the decider's
 *   machine; the CLI signs with it.
 * - `trusted/<name>.pub.pem`: public keys the worker trusts, one file per approver name
 *   (`SWITCHBOARD_TRUSTED_KEYS_DIR` points a worker at another directory). Adding a file is how
 *   an operator registers an approver; removing it revokes them.
 *
 * Neither kind of key enters a workflow: the worker checks signatures in an activity, and history
 * holds only the signature, its expiry and the key's fingerprint.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionStatement, type DecisionStatementFields, MAX_PROOF_LIFETIME_MS } from '../contracts/decisions.js';

/** Approver names are file names here: the same rule as the gate's `deciderName`. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

/** The settings that place keys (raw or parsed environment). */
type KeyEnv = { SWITCHBOARD_KEYS_DIR?: string; SWITCHBOARD_DATA_DIR?: string; SWITCHBOARD_TRUSTED_KEYS_DIR?: string };

/** Where keys live, from the environment (CLI and worker agree by default). */
export function keysDir(env: KeyEnv = process.env): string {
  return env.SWITCHBOARD_KEYS_DIR ?? join(env.SWITCHBOARD_DATA_DIR ?? '.switchboard', 'keys');
}

/** The directory of public keys a worker trusts. */
export function trustedKeysDir(env: KeyEnv = process.env): string {
  return env.SWITCHBOARD_TRUSTED_KEYS_DIR ?? join(keysDir(env), 'trusted');
}

function checkName(name: string): string {
  if (!NAME_RE.test(name) || name.includes('..'))
    throw new Error(`"${name}" is not an approver name (letters, digits, . _ @ -)`);
  return name;
}

/** Short, stable id of a public key: the first 16 hex digits of SHA-256 over its DER (SPKI). */
export function fingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** One approver key, as `switchboard keys list` shows it. */
export interface KeyInfo {
  name: string;
  keyId: string;
  /** A private key for this name is on this machine (this user can sign as `name`). */
  canSign: boolean;
  /** The public key is in the trusted directory (a worker reading it accepts `name`'s proofs). */
  trusted: boolean;
}

/**
 * Creates a key pair for `name`: the private key under `private/`, the public key under `trusted/`.
 * Refuses to overwrite an existing private key (that would lock the approver out of their proofs).
 */
export function createKey(dir: string, name: string): KeyInfo {
  checkName(name);
  const privFile = join(dir, 'private', `${name}.pem`);
  if (existsSync(privFile)) throw new Error(`a key for ${name} already exists (${privFile})`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(join(dir, 'private'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'trusted'), { recursive: true });
  writeFileSync(privFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(privFile, 0o600);
  writeFileSync(join(dir, 'trusted', `${name}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  return { name, keyId: fingerprint(publicKey), canSign: true, trusted: true };
}

/** Every key in `dir` (private, trusted or both), by name. */
export function listKeys(dir: string): KeyInfo[] {
  const names = new Map<string, KeyInfo>();
  const scan = (sub: string, suffix: string, canSign: boolean) => {
    const d = join(dir, sub);
    if (!existsSync(d)) return;
    for (const f of readdirSync(d)) {
      if (!f.endsWith(suffix)) continue;
      const name = f.slice(0, -suffix.length);
      try {
        const text = readFileSync(join(d, f), 'utf8');
        const key = canSign ? createPrivateKey(text) : createPublicKey(text);
        const row = names.get(name) ?? { name, keyId: fingerprint(key), canSign: false, trusted: false };
        if (canSign) row.canSign = true;
        else row.trusted = true;
        names.set(name, row);
      } catch {
        // An unreadable file is not a key; `keys list` shows only usable ones.
      }
    }
  };
  scan('private', '.pem', true);
  scan('trusted', '.pub.pem', false);
  return [...names.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The private key of `name` on this machine, or undefined. */
export function loadPrivateKey(dir: string, name: string): KeyObject | undefined {
  const f = join(dir, 'private', `${checkName(name)}.pem`);
  return existsSync(f) ? createPrivateKey(readFileSync(f, 'utf8')) : undefined;
}

/**
 * The trusted public key of `name`, or undefined (read on each call: adding or removing a file takes effect at once).
 */
export function loadTrustedKey(trustedDir: string, name: string): KeyObject | undefined {
  if (!NAME_RE.test(name) || name.includes('..')) return undefined;
  const f = join(trustedDir, `${name}.pub.pem`);
  return existsSync(f) ? createPublicKey(readFileSync(f, 'utf8')) : undefined;
}

/** A proof as the `decide` payload carries it. */
export interface SignedProof {
  alg: 'ed25519';
  expiresAt: string;
  signature: string;
  keyId: string;
}

/** Signs a decision statement (see src/contracts/decisions.ts). @default lifetime 5 minutes */
export function signDecision(
  key: KeyObject,
  fields: Omit<DecisionStatementFields, 'expiresAt'>,
  lifetimeMs = 5 * 60_000,
): SignedProof {
  const expiresAt = new Date(Date.now() + Math.min(lifetimeMs, MAX_PROOF_LIFETIME_MS)).toISOString();
  const signature = sign(null, Buffer.from(decisionStatement({ ...fields, expiresAt })), key).toString('base64');
  return { alg: 'ed25519', expiresAt, signature, keyId: fingerprint(key) };
}

/** Why a proof does not hold, or undefined when it does. */
export function checkProof(
  key: KeyObject,
  fields: Omit<DecisionStatementFields, 'expiresAt'>,
  proof: { expiresAt: string; signature: string },
  now = Date.now(),
): string | undefined {
  const expires = Date.parse(proof.expiresAt);
  if (!Number.isFinite(expires)) return 'the proof has no valid expiry';
  if (expires <= now) return `the proof expired at ${proof.expiresAt}`;
  if (expires - now > MAX_PROOF_LIFETIME_MS + 60_000)
    return 'the proof is valid for longer than a day; sign a fresh one';
  const signature = Buffer.from(proof.signature, 'base64');
  if (signature.length !== 64) return 'the signature is not an Ed25519 signature';
  const ok = verify(null, Buffer.from(decisionStatement({ ...fields, expiresAt: proof.expiresAt })), key, signature);
  return ok
    ? undefined
    : `the signature does not match this decision by ${fields.decider} (another workflow, request, decision, or what was shown changed)`;
}
