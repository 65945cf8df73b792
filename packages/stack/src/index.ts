export { repoRoot, localStackDir } from './paths.js';
export { getFreePort, getFreePorts, isPortFree } from './ports.js';
export { waitFor, waitForHttp, type WaitOptions } from './wait.js';
export { spawnLogged, stopChild, stopPid, isAlive, logTail, runToCompletion, integerOption } from './processes.js';
export { startPostgres, stopPostgres, isPostgresRunning, ensureDatabase, type PostgresServer, type PostgresOptions } from './postgres.js';
export { startRedis, renderRedisConfig, pingRedis, redisUrl, type RedisServer, type RedisConfigOptions } from './redis.js';
export { renderNginxConfig, loadNginxTemplate, nginxTemplatePath, defaultPerIpLimits, type NginxConfigOptions, type EdgeUpstreams, type PerIpLimits } from './nginx-config.js';
export { startNginx, writeNginxConfig, resolveStaticRoot, type NginxServer, type EdgeOptions } from './nginx.js';
export {
  services,
  serviceEnv,
  startServiceInstance,
  entryCommand,
  runMigrations,
  type ServiceName,
  type ServiceDefinition,
  type ServiceInstance,
  type SharedServiceConfig,
  type Runtime,
} from './services.js';
export {
  createTestDatabase,
  startEdge,
  startTestStack,
  testRedisUrl,
  testServiceRuntime,
  testDir,
  type TestDatabase,
  type TestEdge,
  type TestStack,
  type Teardown,
} from './testkit.js';
export { generateJwtSigningKey, loadOrCreateSecrets, type LocalSecrets } from './secrets.js';
export { DEMO_PLAYER, ensureAccount } from './seed-accounts.js';
export {
  startPrivateStack,
  runServiceCommand,
  type PrivateStack,
  type PrivateStackOptions,
  type StackInfrastructure,
  type Restartable,
} from './private-stack.js';
