#!/usr/bin/env node
// Writes the state-heavy Amazon States Language workloads for the executor benchmark.
//
//   node benches/asl/gen.mjs OUT_DIR
//
// OUT_DIR/map-10k.asl.json + map-10k.input.json
//   An inline Map over 10,000 items; each iteration runs a Choice, one of three Pass states
//   that reshape the item with Parameters, a Pass with ResultPath, a second Choice and a
//   final Pass (6 states per item, 60,000 state transitions), then a summary with an
//   intrinsic function. The items are plain numbers so that the input, every state's
//   data and the Map's result stay under Step Functions' 256 KiB payload limit, which a
//   faithful executor enforces (States.DataLimitExceeded).
// OUT_DIR/parallel-50.asl.json + parallel-50.input.json
//   A Parallel state of 50 branches; each branch runs a Choice, a Pass, and an inline Map
//   over 200 items with Choice and Pass inside (10,000 iterations in all).
//
// State names are unique across the whole machine, as ASL requires. Everything is
// deterministic: no random data, no timestamps.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: node gen.mjs OUT_DIR\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const KINDS = ['post', 'draft', 'page', 'note'];

function item(i) {
  const it = { id: `item-${i}`, title: `Article number ${i}`, score: (i * 37) % 101, kind: KINDS[i % KINDS.length] };
  if (i % 3 === 0) it.tags = ['rust', 'asl'];
  return it;
}

const mapDefinition = {
  Comment: 'Benchmark: inline Map over 10,000 items with Choice and Pass states inside',
  StartAt: 'Fan out',
  States: {
    'Fan out': {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 0,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Classify',
        States: {
          Classify: {
            Type: 'Choice',
            Choices: [
              { Variable: '$', NumericGreaterThanEquals: 5000, Next: 'High' },
              {
                And: [
                  { Variable: '$', NumericGreaterThanEquals: 1000 },
                  { Not: { Variable: '$', NumericGreaterThanEquals: 2000 } },
                ],
                Next: 'Middle',
              },
            ],
            Default: 'Low',
          },
          High: { Type: 'Pass', Parameters: { 'n.$': '$', band: 'high' }, Next: 'Annotate' },
          Middle: { Type: 'Pass', Parameters: { 'n.$': '$', band: 'middle' }, Next: 'Annotate' },
          Low: { Type: 'Pass', Parameters: { 'n.$': '$', band: 'low' }, Next: 'Annotate' },
          Annotate: { Type: 'Pass', Result: { checked: true }, ResultPath: '$.meta', Next: 'Keep?' },
          'Keep?': {
            Type: 'Choice',
            Choices: [
              {
                Or: [
                  { Variable: '$.band', StringEquals: 'high' },
                  { Variable: '$.band', StringEquals: 'middle' },
                ],
                Next: 'Keep',
              },
            ],
            Default: 'Drop',
          },
          Keep: { Type: 'Pass', OutputPath: '$.n', End: true },
          Drop: { Type: 'Pass', Result: -1, End: true },
        },
      },
      ResultPath: '$.results',
      Next: 'Summarise',
    },
    Summarise: {
      Type: 'Pass',
      Parameters: { 'count.$': 'States.ArrayLength($.results)', 'first.$': '$.results[0]', 'last.$': '$.results[9999]' },
      End: true,
    },
  },
};

// 1..10000: aws-local-stepfunctions 3.0.0 cannot select a falsy value (0) with the path `$`.
const mapInput = { items: Array.from({ length: 10000 }, (_, i) => i + 1) };

function branch(b) {
  return {
    StartAt: `Branch ${b}`,
    States: {
      [`Branch ${b}`]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.threshold', NumericGreaterThan: b, Next: `Below ${b}` }],
        Default: `Above ${b}`,
      },
      [`Below ${b}`]: { Type: 'Pass', Result: 'below', ResultPath: '$.side', Next: `Items ${b}` },
      [`Above ${b}`]: { Type: 'Pass', Result: 'above', ResultPath: '$.side', Next: `Items ${b}` },
      [`Items ${b}`]: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: `Check ${b}`,
          States: {
            [`Check ${b}`]: {
              Type: 'Choice',
              Choices: [{ Variable: '$.score', NumericLessThan: b * 2, Next: `Small ${b}` }],
              Default: `Large ${b}`,
            },
            [`Small ${b}`]: { Type: 'Pass', Parameters: { 'id.$': '$.id', size: 'small' }, End: true },
            [`Large ${b}`]: { Type: 'Pass', Parameters: { 'id.$': '$.id', size: 'large' }, End: true },
          },
        },
        ResultPath: '$.sized',
        Next: `Result ${b}`,
      },
      [`Result ${b}`]: {
        Type: 'Pass',
        Parameters: { branch: b, 'side.$': '$.side', 'count.$': 'States.ArrayLength($.sized)', 'first.$': '$.sized[0]' },
        End: true,
      },
    },
  };
}

const parallelDefinition = {
  Comment: 'Benchmark: Parallel of 50 branches, each with a Choice, Pass states and a Map over 200 items',
  StartAt: 'Fan out',
  States: {
    'Fan out': { Type: 'Parallel', Branches: Array.from({ length: 50 }, (_, b) => branch(b)), End: true },
  },
};

const parallelInput = { threshold: 25, items: Array.from({ length: 200 }, (_, i) => item(i)) };

const write = (name, value) => writeFileSync(join(outDir, name), JSON.stringify(value) + '\n');
write('map-10k.asl.json', mapDefinition);
write('map-10k.input.json', mapInput);
write('parallel-50.asl.json', parallelDefinition);
write('parallel-50.input.json', parallelInput);
