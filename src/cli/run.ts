#!/usr/bin/env node
import { main } from './main.js';
import { targetModuleLoading } from '../targets/module.js';

// A promise that never settles with nothing else pending ends the process (status 13, the exit
// event seeing 0) with no word; where a user's target module was loading, say so (and exit 2: the
// module cannot work).
process.on('exit', (code) => {
  const at = targetModuleLoading();
  if ((code !== 0 && code !== 13) || !at) return;
  process.stderr.write(
    `anneal: target module '${at.path}' never finished loading: its ${at.stage === 'import' ? 'top-level await' : 'target factory'} never settles\n`,
  );
  process.exitCode = 2;
});

process.exitCode = await main(process.argv.slice(2));
