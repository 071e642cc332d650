// Public surface of controller/.
export * from './api.js';
export * from './errors.js';
export { Controller, type ControllerOptions, type ControllerEvents, type TlsOptions } from './server.js';
export { Session, DEFAULT_SESSION_OPTIONS, dpidHex, type SessionOptions } from './session.js';
export { PacketIn } from './packet-in.js';
export type { ControllerApp } from './apps/types.js';
export { L2LearningApp, type L2LearningOptions } from './apps/l2-learning.js';
export { MacTable, macToString } from './apps/mac-table.js';
