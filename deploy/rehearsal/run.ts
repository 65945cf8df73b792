/**
 * Brings the multi-server rehearsal up for a look by hand (root: it creates network
 * namespaces), prints where everything is, and tears it all down on Ctrl-C:
 *
 *   node --conditions=ludic-source --import=tsx deploy/rehearsal/run.ts [--runtime source]
 *
 * Then e.g. `curl -i http://10.77.0.10/api/events` (see x-served-by), `ip link set
 * ludrh-app2-h down` to unplug an app host, `ip netns exec ludrh-app1 ss -ltnp` to look
 * inside one. deploy/rehearsal.test.ts runs the same rehearsal with its assertions.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hosts } from './network.js';
import { startRehearsal } from './rehearsal.js';

const { values } = parseArgs({ options: { runtime: { type: 'string', default: 'dist' } } });
if (values.runtime !== 'dist' && values.runtime !== 'source') {
  console.error('--runtime is dist (compiled services, after pnpm build) or source');
  process.exit(2);
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'ludic-rehearsal-'));
const rehearsal = await startRehearsal({ dir, runtime: values.runtime });
console.log(`balancer  ${rehearsal.edgeUrl} (internal wallet balancer on :8081)`);
for (const host of Object.values(hosts)) console.log(`${host.name.padEnd(9)} ${host.address} in namespace ${host.namespace}, cable ${host.link}`);
console.log(`database  ${rehearsal.databaseUrl}\nlogs      ${dir}\nCtrl-C tears everything down.`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await rehearsal.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
