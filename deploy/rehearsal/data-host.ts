/**
 * The data host of the rehearsal, run inside its network namespace:
 *
 *   ip netns exec ludrh-data node --conditions=ludic-source --import=tsx \
 *     deploy/rehearsal/data-host.ts DIR ADDRESS CLIENT_SUBNET
 *
 * with POSTGRES_PASSWORD and REDIS_PASSWORD in the environment. Starts PostgreSQL and Redis
 * listening on ADDRESS (and loopback), lets CLIENT_SUBNET log in to PostgreSQL, prints
 * "data host ready", and stops both on SIGTERM/SIGINT. Started from inside the namespace
 * because pg_ctl detaches the server: it stays in the namespace of whoever ran pg_ctl.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, startRedis } from '@ludic/stack';

const [dir, address, clientSubnet] = process.argv.slice(2);
const postgresPassword = process.env.POSTGRES_PASSWORD;
const redisPassword = process.env.REDIS_PASSWORD;
if (!dir || !address || !clientSubnet || !postgresPassword || !redisPassword) {
  console.error('usage: data-host.ts DIR ADDRESS CLIENT_SUBNET (POSTGRES_PASSWORD, REDIS_PASSWORD in the environment)');
  process.exit(2);
}

const dataDir = path.join(dir, 'postgres', 'data');
const postgres = await startPostgres({ dataDir, port: 5432, password: postgresPassword, listenAddresses: ['127.0.0.1', address] });
// initdb allows loopback only; the app hosts log in from the private subnet, with the password.
appendFileSync(path.join(dataDir, 'pg_hba.conf'), `host all all ${clientSubnet} scram-sha-256\n`);
const admin = new pg.Client({ connectionString: postgres.url('postgres') });
await admin.connect();
await admin.query('select pg_reload_conf()');
await admin.query('create database ludic');
await admin.end();
const redis = await startRedis({ port: 6379, dir: path.join(dir, 'redis'), password: redisPassword, bind: ['127.0.0.1', address] });
console.log('data host ready');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([postgres.stop(), redis.stop()]);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
