// `rackvisor of decode|encode`: OpenFlow 1.3 messages ⇄ Ryu's JSON shape ({"OFPFlowMod": {...}}), through openflow/.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  decodeAll, encodeMessage, fromRyuJson, parseJsonLossless, stringifyJson, toRyuJson, OfEncodeError,
} from '../../openflow/index.js';

class CliError extends Error {}

function readInput(file: string | undefined): Buffer {
  if (file === undefined || file === '-') return readFileSync(0);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Hex with optional whitespace, ':' or '-' separators and an optional 0x prefix. */
export function parseHex(text: string): Buffer {
  const clean = text.replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) {
    const bad = clean.search(/[^0-9a-fA-F]/);
    throw new CliError(`--hex: not a hex digit at position ${bad}: ${JSON.stringify(clean[bad])}`);
  }
  if (clean.length % 2) throw new CliError(`--hex: odd number of hex digits (${clean.length})`);
  return Buffer.from(clean, 'hex');
}

function decodeCommand(file: string | undefined, opts: { hex?: string; compact?: boolean }): void {
  if (opts.hex !== undefined && file !== undefined) throw new CliError('give either --hex or FILE, not both');
  const bytes = opts.hex !== undefined ? parseHex(opts.hex) : readInput(file);
  if (bytes.length === 0) throw new CliError('no input bytes');
  const { msgs, error } = decodeAll(bytes);
  if (error) {
    throw new CliError(`message #${msgs.length + 1}: ${error.code} at byte offset ${error.offset}: ${error.message}`);
  }
  const json = msgs.map((m) => toRyuJson(m));
  const out = json.length === 1 ? json[0] : json;
  process.stdout.write(`${stringifyJson(out, opts.compact ? 0 : 3)}\n`);
}

function encodeCommand(file: string, opts: { hex?: boolean; output?: string }): void {
  const text = readInput(file).toString('utf8');
  let json: unknown;
  try {
    json = parseJsonLossless(text);
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new CliError(`${file}: empty list of messages`);
  const parts = list.map((j, i) => {
    try {
      return encodeMessage(fromRyuJson(j));
    } catch (e) {
      if (e instanceof OfEncodeError) throw new CliError(`message #${i + 1}: ${e.message}`);
      throw e;
    }
  });
  const bytes = Buffer.concat(parts);
  if (opts.hex) {
    const hex = `${bytes.toString('hex')}\n`;
    if (opts.output) writeFileSync(opts.output, hex); else process.stdout.write(hex);
  } else if (opts.output) writeFileSync(opts.output, bytes);
  else process.stdout.write(bytes);
}

function run(fn: () => void, what: string): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError || e instanceof OfEncodeError) {
      console.error(`rackvisor of ${what}: ${e.message}`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

export function registerOf(program: Command): void {
  const of = program.command('of').description('Encode and decode OpenFlow 1.3 messages (Ryu to_jsondict JSON shape)');
  of.command('decode')
    .description('Decode OpenFlow 1.3 bytes (FILE, stdin, or --hex) and print them as Ryu-style JSON; '
      + 'several concatenated messages print as a list')
    .argument('[FILE]', 'binary file with one or more messages ("-" or absent: stdin)')
    .option('--hex <HEX>', 'the message bytes as hex (spaces and : allowed)')
    .option('--compact', 'print JSON on one line')
    .action((file: string | undefined, opts: { hex?: string; compact?: boolean }) => run(() => decodeCommand(file, opts), 'decode'));
  of.command('encode')
    .description('Encode Ryu-style JSON ({"OFPFlowMod": {...}} or a list of them) into OpenFlow 1.3 bytes; '
      + 'len/length fields are computed')
    .argument('<FILE>', 'JSON file ("-" for stdin)')
    .option('--hex', 'write hex text instead of raw bytes')
    .option('-o, --output <OUT>', 'write to OUT instead of stdout')
    .action((file: string, opts: { hex?: boolean; output?: string }) => run(() => encodeCommand(file, opts), 'encode'));
}
