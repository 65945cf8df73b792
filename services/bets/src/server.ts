import { runService } from '@ludic/service-kit';
import { buildApp } from './app.js';
import { BetsConfigSchema } from './config.js';

await runService(BetsConfigSchema, (config) => buildApp(config));
