#!/usr/bin/env node
// Deterministic generator of a realistic Portable Text corpus for the renderer benchmark.
//
//   node benches/render/gen-corpus.mjs [--docs N] [--seed S] OUT.ndjson
//
// Writes N documents (default 5000), one JSON array of blocks per line. Each document looks
// like a blog post as Sanity stores it: headings, paragraphs of marked-up text with links,
// bullet and numbered lists (some nested), blockquotes, code blocks and images as custom
// types. Sizes range from a few KB to a few tens of KB. The same seed always gives the same
// bytes. Prints a one-line summary (documents, bytes, smallest and largest document).

import { createWriteStream } from 'node:fs';

let docs = 5000;
let seed = 20260101;
let out = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--docs') docs = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else out = args[i];
}
if (!out || !Number.isInteger(docs) || docs <= 0 || !Number.isInteger(seed)) {
  process.stderr.write('usage: node gen-corpus.mjs [--docs N] [--seed S] OUT.ndjson\n');
  process.exit(2);
}

// mulberry32: a small 32-bit generator; plenty for test data.
let state = seed >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const below = (n) => Math.floor(rand() * n);
const range = (lo, hi) => lo + below(hi - lo + 1);
const chance = (p) => rand() < p;
const pick = (a) => a[below(a.length)];

const WORDS = (
  'the a of to and in is it that for on with as was at by this be from or an are not but have ' +
  'which one all were when we there can your more about if what so their out up has will into ' +
  'renderer markdown portable text block span mark link list heading paragraph editor content ' +
  'schema query dataset document publish draft canonical webhook lambda function state machine ' +
  'deploy build test rust cargo crate async await request response cache latency throughput ' +
  'error retry timeout batch queue stream parse serialize escape render html output input value ' +
  'performance memory allocation benchmark profile release version feature module interface'
).split(' ');
const PUNCT = ['.', '.', '.', ',', ',', ';', ':', '?', '!', ' —', ' (see below)', ' & more', ' <b>'];
const DECORATORS = ['strong', 'em', 'code', 'underline', 'strike-through'];
const HREFS = [
  'https://example.com/blog/2024/introducing-the-renderer',
  'https://docs.example.org/guide/getting-started?ref=post&utm_source=blog',
  'https://github.com/example/project/issues/1234',
  'mailto:hello@example.com',
  '/posts/previous-article',
  '#section-2',
];
const LANGS = ['rust', 'typescript', 'javascript', 'bash', 'json', 'python', 'go'];
const CODE_LINES = [
  'fn render(blocks: &[Block]) -> String {',
  '    let mut out = String::with_capacity(blocks.len() * 64);',
  '    for block in blocks { out.push_str(&block.to_html()); }',
  '    out',
  '}',
  'const html = toHTML(value, { components });',
  'export async function handler(event) { return { statusCode: 200 }; }',
  'if (a < b && c > d) { console.log("<ok> & done"); }',
  'cargo build --release -p crosspost',
  '{"_type": "block", "children": []}',
  'for i in range(10): print(i)',
];

let key = 0;
const nextKey = () => (++key).toString(36).padStart(8, '0');

function sentence() {
  const n = range(4, 18);
  const words = [];
  for (let i = 0; i < n; i++) words.push(pick(WORDS));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ') + pick(PUNCT);
}

function textBlock(style, listItem, level, minSpans, maxSpans) {
  const markDefs = [];
  const linkCount = chance(0.45) ? range(1, 3) : 0;
  for (let i = 0; i < linkCount; i++) markDefs.push({ _type: 'link', _key: nextKey(), href: pick(HREFS) });
  const children = [];
  const spans = range(minSpans, maxSpans);
  for (let i = 0; i < spans; i++) {
    const marks = [];
    if (chance(0.3)) marks.push(pick(DECORATORS));
    if (chance(0.08)) {
      const d = pick(DECORATORS);
      if (!marks.includes(d)) marks.push(d);
    }
    if (markDefs.length && chance(0.2)) marks.push(pick(markDefs)._key);
    let text = sentence();
    if (chance(0.5)) text += ' ' + sentence();
    if (i < spans - 1) text += ' ';
    if (chance(0.03)) text += '\n';
    children.push({ _type: 'span', _key: nextKey(), text, marks });
  }
  const block = { _type: 'block', _key: nextKey(), style, markDefs, children };
  if (listItem) {
    block.listItem = listItem;
    block.level = level;
  }
  return block;
}

function document() {
  const blocks = [];
  const target = range(2000, chance(0.15) ? 40000 : 14000);
  let size = 0;
  blocks.push(textBlock('h1', null, 0, 1, 1));
  while (size < target) {
    const r = rand();
    let added;
    if (r < 0.5) {
      added = [textBlock(chance(0.05) ? 'blockquote' : 'normal', null, 0, 1, 8)];
    } else if (r < 0.62) {
      added = [textBlock(pick(['h2', 'h2', 'h3', 'h3', 'h4']), null, 0, 1, 1)];
    } else if (r < 0.8) {
      const kind = chance(0.6) ? 'bullet' : 'number';
      added = [];
      let level = 1;
      for (let i = range(2, 7); i > 0; i--) {
        if (chance(0.2)) level = Math.min(level + 1, 3);
        else if (level > 1 && chance(0.3)) level--;
        added.push(textBlock('normal', kind, level, 1, 3));
      }
    } else if (r < 0.93) {
      const lines = [];
      for (let i = range(2, 14); i > 0; i--) lines.push(pick(CODE_LINES));
      added = [{ _type: 'code', _key: nextKey(), language: pick(LANGS), code: lines.join('\n') }];
    } else {
      added = [
        {
          _type: 'image',
          _key: nextKey(),
          asset: { _type: 'reference', _ref: `image-${nextKey()}-1200x630-png` },
          alt: sentence(),
        },
      ];
    }
    for (const b of added) {
      blocks.push(b);
      size += JSON.stringify(b).length;
    }
  }
  return blocks;
}

const stream = createWriteStream(out);
let bytes = 0;
let min = Infinity;
let max = 0;
for (let i = 0; i < docs; i++) {
  const line = JSON.stringify(document());
  bytes += Buffer.byteLength(line) + 1;
  min = Math.min(min, line.length);
  max = Math.max(max, line.length);
  if (!stream.write(line + '\n')) await new Promise((resolve) => stream.once('drain', resolve));
}
stream.end();
await new Promise((resolve) => stream.on('finish', resolve));
process.stdout.write(
  `corpus: ${docs} documents, ${(bytes / 1e6).toFixed(1)} MB, ${(min / 1e3).toFixed(1)}–${(max / 1e3).toFixed(1)} KB each\n`,
);
