export { createWebAgentSim } from './sessions.js';
