/**
 * The credential-alias rule, in one place: workflows name an alias (`ops`), never a key; the worker
 * resolves it from its own environment (`WEBAGENT_API_KEY_OPS`, `MYCEL_TOKEN_OPS`, …).
 * Workflow-safe: zod only.
 */
import { z } from 'zod';

/** 1-63 letters, digits, `-` or `_`, starting with a letter or digit. */
export const ALIAS_SOURCE = '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$';

/** True when `s` is a credential alias. */
export function isAlias(s: string): boolean {
  // A fresh RegExp per call: preloaded workflow modules are deep-frozen, and a shared one is state.
  return new RegExp(ALIAS_SOURCE).test(s);
}

/** A zod schema for a credential alias, with a message that says what went wrong where. */
export function credentialAlias(message = 'must be a credential alias (1-63 letters, digits, - or _), never a key') {
  return z.string().regex(new RegExp(ALIAS_SOURCE), message);
}
