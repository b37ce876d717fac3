// Benchmark helper process: the dashboard server alone (no CLI, no engine loaded), so its memory can be read from
// /proc. Prints one JSON line { url } when it listens; SIGTERM closes it. Usage: node server-process.js <db>
import { startServer } from '../server.js';

const h = await startServer({ db: process.argv[2] ?? '', port: 0 });
process.stdout.write(JSON.stringify({ url: h.url }) + '\n');
process.on('SIGTERM', () => { void h.close().then(() => process.exit(0)); });
