import { runMigrationCommand } from '@ludic/service-kit';
import { migrations, SCHEMA } from './migrations/index.js';

await runMigrationCommand({ schema: SCHEMA, migrations });
