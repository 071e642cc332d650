import type { Command } from 'commander';
import { notYet } from '../not-yet.js';

export function registerController(program: Command): void {
  program.command('controller').description('Run the OpenFlow 1.3 controller (OF channel, pipeline, placement, northbound API)').action(notYet('controller'));
}
