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

export const sendMessageUpdate = defineUpdate<UpdateOutcome, [SendMessageArgs]>('sendMessage');
export const answerInputUpdate = defineUpdate<UpdateOutcome, [AnswerInputArgs]>('answerInput');
export const followUpUpdate = defineUpdate<UpdateOutcome, [FollowUpArgs]>('followUp');
export const renameUpdate = defineUpdate<UpdateOutcome, [RenameArgs]>('rename');
export const setCallbacksUpdate = defineUpdate<UpdateOutcome, [SetCallbacksArgs]>('setCallbacks');
export const rewindUpdate = defineUpdate<UpdateOutcome, [RewindArgs]>('rewind');
export const cancelUpdate = defineUpdate<UpdateOutcome, [CancelArgs]>('cancel');

export const stateQuery = defineQuery<AgentSessionState>('state');
export const transcriptTailQuery = defineQuery<TranscriptEntry[], [number?]>('transcriptTail');
export const artifactsQuery = defineQuery<ArtifactRef[]>('artifacts');
