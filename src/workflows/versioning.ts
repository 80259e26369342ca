/**
 * Worker Versioning (Worker Deployments) for workflows that live for weeks. With a versioned
 * worker (SWITCHBOARD_DEPLOYMENT_NAME), a workflow marked {@link LONG_LIVED} stays on the build
 * that started it (PINNED): new code never replays its history, so it needs no `patched()`. It
 * moves to the deployment's current version only at continue-as-new ({@link continueOnCurrentVersion}).
 * Every other workflow follows the worker's default, AUTO_UPGRADE: it moves to the current version
 * at its next workflow task, and `patched()` keeps its history replayable.
 * Without a versioned worker the annotations are inert (no behavior is sent).
 */
import type { WorkflowDefinitionOptions } from '@temporalio/common';
import { makeContinueAsNewFunc, type Workflow, workflowInfo } from '@temporalio/workflow';

/**
 * Workflow definition options of the long-lived workflows (`setWorkflowOptions(LONG_LIVED, fn)`),
 * read when a run starts: PINNED on a versioned worker only (an unversioned one reports a build
 * id but no deployment name), since the server refuses a
 * versioning behavior from a worker that is not in a deployment.
 */
export const LONG_LIVED = (): WorkflowDefinitionOptions =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {};

/**
 * Continue-as-new whose next run starts on the deployment's current version (AUTO_UPGRADE for its
 * first task; the run is then PINNED again by its definition).
 */
export function continueOnCurrentVersion<F extends Workflow>(): (...args: Parameters<F>) => Promise<never> {
  return makeContinueAsNewFunc<F>({ initialVersioningBehavior: 'AUTO_UPGRADE' });
}
