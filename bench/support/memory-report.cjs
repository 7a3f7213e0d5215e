// Preloaded into the manager by bench/footprint.ts (node --require): on SIGUSR2, writes what
// the process's memory is made of to $IM_MEMORY_REPORT (JSON), then a heap snapshot beside it.
'use strict';
const { writeFileSync, readFileSync } = require('node:fs');
const v8 = require('node:v8');

process.on('SIGUSR2', () => {
  const out = process.env.IM_MEMORY_REPORT;
  const report = {
    status: readFileSync('/proc/self/status', 'utf8'),
    memoryUsage: process.memoryUsage(),
    spaces: v8.getHeapSpaceStatistics(),
    code: v8.getHeapCodeStatistics(),
  };
  v8.writeHeapSnapshot(`${out}.heapsnapshot`);
  writeFileSync(out, JSON.stringify(report));
});
