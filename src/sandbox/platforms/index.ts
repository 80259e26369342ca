import type { PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';
import { createArchAstroSim } from './archastro/index.js';
import { createMixSim } from './mix/index.js';
import { createMycelSim } from './mycel/index.js';
import { createWebAgentSim } from './webagent/index.js';
import { createWyseMateSim } from './wysemate/index.js';

/** One simulator per platform, each under its own URL prefix. */
export function createPlatformSims(ctx: SandboxContext): PlatformSim[] {
  return [
    createWebAgentSim(ctx),
    createArchAstroSim(ctx),
    createWyseMateSim(ctx),
    createMixSim(ctx),
    createMycelSim(ctx),
  ];
}
