/** Types of ./payload-converter.cjs (see its header for why it is CommonJS). */
import type { Payload, PayloadConverter } from '@temporalio/common';

/** The key that marks a value the converter could not decode. */
export declare const UNDECODABLE_KEY = '__switchboardUndecodable';

/** What an undecodable payload decodes to: never valid input for any schema. */
export interface Undecodable {
  readonly __switchboardUndecodable: string;
}

/** True for the marker {@link TolerantPayloadConverter} returns for an undecodable payload. */
export declare function isUndecodable(v: unknown): v is Undecodable;

/** Why the payload could not be decoded (for refusals and logs). */
export declare function undecodableReason(v: Undecodable): string;

/**
 * The SDK's default converter (undefined, binary, JSON) for everything it can decode; an
 * {@link Undecodable} marker for everything it cannot. Encoding is unchanged.
 */
export declare class TolerantPayloadConverter implements PayloadConverter {
  toPayload<T>(value: T): Payload;
  fromPayload<T>(payload: Payload): T;
}

/** Loaded by the SDK through `payloadConverterPath` (worker and workflow bundle). */
export declare const payloadConverter: TolerantPayloadConverter;
