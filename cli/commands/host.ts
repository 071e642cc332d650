import type { Command } from 'commander';
import { notYet } from '../not-yet.js';

export function registerHost(program: Command): void {
  program.command('host').description('Run or inspect a host agent and its DPDK manager').action(notYet('host'));
}
