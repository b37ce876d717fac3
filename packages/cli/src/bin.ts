// The process entry of the `sweeplab` bin (bin/sweeplab.js imports it): the real executor, no injected parts.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { debug: process.env.SWEEPLAB_DEBUG !== undefined && process.env.SWEEPLAB_DEBUG !== '' });
