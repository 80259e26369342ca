/** ArchAstro simulator (being split into one file per product area). */
export { createArchAstroSim } from './sessions.js';
