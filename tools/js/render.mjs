#!/usr/bin/env node
// Reference Portable Text renderer: the official JavaScript packages with
// default options, driven line by line.
//
//   node render.mjs --to html|markdown [--bench [--passes N] [--out OUT]] [FILE]
//
// Reads NDJSON (one Portable Text value per line: an array of blocks or one
// bare block) from FILE or standard input and writes one JSON string per line,
// the rendered output for that document, in input order.
//
// `--bench` renders the same way but prints, instead of the outputs, one JSON
// object with the document count and the time spent in the render loop
// (JSON.parse of each line + render + JSON.stringify of the result), measured
// after the packages are loaded and the whole input has been read. With
// `--out FILE` the outputs collected in that loop are written to FILE
// afterwards, outside the timed part. `--passes N` runs the loop N times in
// the same process (the later passes with the JIT warm) and reports every
// pass's time in `passes` and the best in `seconds`.
//
// A line that fails to parse or render yields `{"error": "..."}` on that line
// so that outputs stay aligned with inputs.

import { readFileSync, writeFileSync } from 'node:fs';
import { toHTML } from '@portabletext/to-html';
import { portableTextToMarkdown } from '@portabletext/markdown';

function usage(message) {
  process.stderr.write(`render.mjs: ${message}\nusage: node render.mjs --to html|markdown [--bench [--passes N] [--out OUT]] [FILE]\n`);
  process.exit(2);
}

let to = null;
let bench = false;
let file = null;
let outFile = null;
let passes = 1;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--to') to = args[++i];
  else if (a.startsWith('--to=')) to = a.slice(5);
  else if (a === '--bench') bench = true;
  else if (a === '--out') outFile = args[++i];
  else if (a === '--passes') passes = Number(args[++i]);
  else if (a === '-') file = null;
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else file = a;
}
if (to !== 'html' && to !== 'markdown') usage('--to must be html or markdown');
if (outFile !== null && !bench) usage('--out only goes with --bench');
if (!Number.isInteger(passes) || passes < 1) usage('--passes must be a whole number of at least 1');
if (passes !== 1 && !bench) usage('--passes only goes with --bench');

// Output is identical with or without the warning handler; silencing it only
// keeps standard error quiet for unknown types and marks.
const htmlOptions = { onMissingComponent: false };

const render =
  to === 'html'
    ? (value) => toHTML(value, htmlOptions)
    : // portableTextToMarkdown only takes an array; to-html wraps a bare block
      // the same way internally.
      (value) => portableTextToMarkdown(Array.isArray(value) ? value : [value]);

const text = readFileSync(file ?? 0, 'utf8');
const lines = text.split('\n');
if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

function renderLine(line) {
  try {
    return JSON.stringify(render(JSON.parse(line)));
  } catch (err) {
    return JSON.stringify({ error: String(err && err.message ? err.message : err) });
  }
}

if (bench) {
  let bytes = 0;
  let out = [];
  const times = [];
  for (let pass = 0; pass < passes; pass++) {
    bytes = 0;
    out = new Array(lines.length);
    const start = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) {
      out[i] = renderLine(lines[i]);
      bytes += out[i].length;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const seconds = Math.min(...times);
  if (outFile !== null) writeFileSync(outFile, out.length ? out.join('\n') + '\n' : '');
  process.stdout.write(
    JSON.stringify({ renderer: `js-${to}`, documents: lines.length, seconds, passes: times, output_chars: bytes }) + '\n',
  );
} else {
  const out = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) out[i] = renderLine(lines[i]);
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}
