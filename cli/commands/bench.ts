import type { Command } from 'commander';
import { notYet } from '../not-yet.js';

export function registerBench(program: Command): void {
  program.command('bench').description('Run benchmark suites side by side with their peers').action(notYet('bench'));
}
