#!/usr/bin/env node
// Entry point of the `rackvisor` CLI: runs the compiled TypeScript in dist/ (npm run build:ts).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`rackvisor: ${main} is missing; build first with \`npm run build\` (or \`npm run setup\`).`);
  process.exit(1);
}
await import(pathToFileURL(main).href);
