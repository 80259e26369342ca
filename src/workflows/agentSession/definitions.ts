/**
 * Update and query definitions of the `agentSession` workflow: what the client library imports.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  AgentSessionState,
  AnswerInputArgs,
  ArtifactRef,
  CancelArgs,
  FollowUpArgs,
  RenameArgs,
  RewindArgs,
  SendMessageArgs,
  SetCallbacksArgs,
  TranscriptEntry,
} from '../../contracts/sessions.js';

/** Outcome every steering update returns. */
export interface UpdateOutcome {
  accepted: true;
  status: AgentSessionState['status'];
  /** For followUp: the new platform task id. */
  taskId?: string;
}

/**
 * Sends a message to the running agent; the validator refuses it before history when the session
 * cannot take one now.
 */
export const sendMessageUpdate = defineUpdate<UpdateOutcome, [SendMessageArgs]>('sendMessage');
/**
 * Answers the input request the platform is waiting on (`session show` names its id); refused when
 * no such request waits.
 */
export const answerInputUpdate = defineUpdate<UpdateOutcome, [AnswerInputArgs]>('answerInput');
/**
 * Starts the next task in the same session (Web Agent), while it runs or in its follow-up window.
 */
export const followUpUpdate = defineUpdate<UpdateOutcome, [FollowUpArgs]>('followUp');
/** Renames the platform session (Wyse Mate). */
export const renameUpdate = defineUpdate<UpdateOutcome, [RenameArgs]>('rename');
/** Replaces the session's tool-completion callbacks (Mix); an empty list clears them. */
export const setCallbacksUpdate = defineUpdate<UpdateOutcome, [SetCallbacksArgs]>('setCallbacks');
/** Rewinds the session to one of its messages (Mix), optionally removing media created after it. */
export const rewindUpdate = defineUpdate<UpdateOutcome, [RewindArgs]>('rewind');
/**
 * Cancels the task on the platform and ends the workflow after clean-up; in a follow-up window it
 * only closes the window.
 */
export const cancelUpdate = defineUpdate<UpdateOutcome, [CancelArgs]>('cancel');

/**
 * The session as the workflow last saw it (status, platform ids, pending input, counts); a query
 * writes no history.
 */
export const stateQuery = defineQuery<AgentSessionState>('state');
/**
 * The newest transcript entries held in workflow state (at most the bounded tail; the full
 * transcript is an artifact).
 */
export const transcriptTailQuery = defineQuery<TranscriptEntry[], [number?]>('transcriptTail');
/** References to what this session stored in the artifact store; the contents stay there. */
export const artifactsQuery = defineQuery<ArtifactRef[]>('artifacts');
