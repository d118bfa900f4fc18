#!/usr/bin/env node
import { main } from './program';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Let stdout flush, but never hang on a stray handle: force the exit shortly after.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`taskq: ${String(err)}\n`);
    process.exit(1);
  },
);
