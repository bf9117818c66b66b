#!/usr/bin/env node
// Run an Amazon States Language state machine with aws-local-stepfunctions,
// the JavaScript executor used as a reference and as the benchmark baseline.
//
//   node asl-run.mjs DEFINITION [--input] INPUT [--no-validate] [--quiet-time]
//
// Prints one JSON object on standard output, in the same shape as
// `crosspost asl run`:
//   {"status":"SUCCEEDED","output":<json>}
//   {"status":"FAILED","error":"<name>","cause":"<text or null>"}
// and on standard error one line with the execution time, measured from the
// call to `run` to the settled result (module load, file reads and definition
// validation excluded):
//   asl-run: execution 0.123456 s
// Exit status: 0 when the run finished (succeeded or failed), 2 on bad usage
// or a definition the library rejects.

import { readFileSync } from 'node:fs';
import { StateMachine, ExecutionError } from 'aws-local-stepfunctions';

function usage(message) {
  process.stderr.write(`asl-run.mjs: ${message}\nusage: node asl-run.mjs DEFINITION [--input] INPUT [--no-validate] [--quiet-time]\n`);
  process.exit(2);
}

const positional = [];
let inputFile = null;
let validate = true;
let printTime = true;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--input') inputFile = args[++i];
  else if (a === '--no-validate') validate = false;
  else if (a === '--quiet-time') printTime = false;
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (inputFile === null && positional.length === 2) inputFile = positional.pop();
if (positional.length !== 1 || inputFile === null) usage('need a definition file and an input file');

function readJson(path, what) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    usage(`cannot read ${what} ${path}: ${err.message}`);
  }
}

const definition = readJson(positional[0], 'definition');
const input = readJson(inputFile, 'input');

let machine;
try {
  machine = new StateMachine(definition, {
    validationOptions: validate ? { checkPaths: true, checkArn: true } : { noValidate: true },
  });
} catch (err) {
  usage(`definition rejected: ${err.message}`);
}

const start = process.hrtime.bigint();
let result;
try {
  const execution = machine.run(input);
  const output = await execution.result;
  result = { status: 'SUCCEEDED', output: output === undefined ? null : output };
} catch (err) {
  const inner = err instanceof ExecutionError && err.cause ? err.cause : err;
  result = {
    status: 'FAILED',
    error: inner && inner.name ? inner.name : null,
    cause: inner && typeof inner.message === 'string' && inner.message !== '' ? inner.message : null,
  };
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

process.stdout.write(JSON.stringify(result) + '\n');
if (printTime) process.stderr.write(`asl-run: execution ${seconds.toFixed(6)} s\n`);
