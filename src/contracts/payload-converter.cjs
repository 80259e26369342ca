/**
 * The payload converter every Switchboard worker (and its workflow bundle) uses.
 *
 * Anyone who can reach the namespace can send a payload the default converter cannot decode: an
 * unknown `encoding`, no metadata, malformed JSON. The SDK's converter throws on those, and inside a
 * workflow a throw while decoding a start argument, a signal or an update is a failing workflow
 * task, retried forever: the workflow is stuck and every later decision is refused ("Workflow Task
 * in failed state"). This converter never throws while decoding: it returns an "undecodable" marker
 * instead, which every schema refuses (src/workflows/validation.ts): a start with one fails with
 * `InvalidInput`, a signal with one is dropped with a warning, an update with one is rejected by its
 * validator with nothing written to history.
 *
 * Plain CommonJS on purpose: the SDK loads it with `require(payloadConverterPath)` from whatever
 * runs the worker (tsx, vitest, the compiled worker), and webpack bundles it into workflow code.
 * Types: ./payload-converter.d.cts. Workflow-safe: no Node built-ins.
 */
'use strict';
const { DefaultPayloadConverter } = require('@temporalio/common');

/** The key that marks a value the converter could not decode. */
const UNDECODABLE_KEY = '__switchboardUndecodable';

function isUndecodable(v) {
  return typeof v === 'object' && v !== null && typeof v[UNDECODABLE_KEY] === 'string';
}

function undecodableReason(v) {
  return v[UNDECODABLE_KEY];
}

class TolerantPayloadConverter {
  constructor() {
    this.inner = new DefaultPayloadConverter();
  }

  toPayload(value) {
    return this.inner.toPayload(value);
  }

  fromPayload(payload) {
    try {
      return this.inner.fromPayload(payload);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { [UNDECODABLE_KEY]: `undecodable payload: ${reason.slice(0, 200)}` };
    }
  }
}

module.exports = {
  UNDECODABLE_KEY,
  isUndecodable,
  undecodableReason,
  TolerantPayloadConverter,
  payloadConverter: new TolerantPayloadConverter(),
};
