import type { Command } from 'commander';
import { notYet } from '../not-yet.js';

export function registerOf(program: Command): void {
  program.command('of').description('Encode and decode OpenFlow 1.3 messages').action(notYet('of'));
}
