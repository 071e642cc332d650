// Public surface of northbound-api/.
export { createApp, findSpec, type ApiOptions, type App } from './app.js';
export { startApi, type StartApiOptions, type RunningApi } from './server.js';
export { controllerSwitchPort } from './adapters/controller.js';
export * from './ports.js';
