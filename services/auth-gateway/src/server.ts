import { runService } from '@ludic/service-kit';
import { buildApp } from './app.js';
import { AuthConfigSchema } from './config.js';

await runService(AuthConfigSchema, (config) => buildApp(config));
