import { runService } from '@ludic/service-kit';
import { buildApp } from './app.js';
import { WalletConfigSchema } from './config.js';

await runService(WalletConfigSchema, (config) => buildApp(config));
