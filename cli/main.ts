// The one `rackvisor` CLI. Each command lives in its own module under cli/commands/ and
// registers itself here; the CLI is the only place that may import every component.
import { Command } from 'commander';
import { registerController } from './commands/controller.js';
import { registerHost } from './commands/host.js';
import { registerLab } from './commands/lab.js';
import { registerOf } from './commands/of.js';
import { registerBench } from './commands/bench.js';
import { registerApiClient } from './commands/api-client.js';

export function buildProgram(): Command {
  const program = new Command('rackvisor')
    .description('SDN-controller-integrated NFV platform for a rack of commodity servers')
    .version('0.1.0')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  registerController(program);
  registerHost(program);
  registerLab(program);
  registerOf(program);
  registerBench(program);
  registerApiClient(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`rackvisor: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
