/**
 * Size limits on what enters a workflow (README "Trust model"). Field schemas carry their own
 * bounds; these are the ceilings every start input and every update or signal argument must also
 * fit under, so no unbounded field (a free-form record, a nested object) can fill history.
 * Workflow-safe.
 */

/** Largest start input, as JSON. */
export const MAX_START_INPUT_BYTES = 512 * 1024;
/** Largest update or signal argument, as JSON. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Largest free-form object inside an input (metadata, a structured edit), as JSON. */
export const MAX_OBJECT_BYTES = 16 * 1024;

/** UTF-8 size of a value's JSON (no Buffer: workflow code). Unserializable values count as too big. */
export function jsonBytes(v: unknown): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  if (text === undefined) return 0;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
