import type { Command } from 'commander';
import { notYet } from '../not-yet.js';

export function registerLab(program: Command): void {
  program.command('lab').description('Bring the embedded lab (ZooKeeper, Open vSwitch, namespaces) up, down, or show its status').action(notYet('lab'));
}
