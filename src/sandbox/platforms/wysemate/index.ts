export { createWyseMateSim } from './sessions.js';
