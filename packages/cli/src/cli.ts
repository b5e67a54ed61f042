#!/usr/bin/env node
// The `netblocks` bin: everything is in main.ts; this file only hands it the arguments.
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
