/**
 * Writes deploy/compose/nginx.conf: the edge template (nginx/ludic.conf.template) rendered for
 * docker-compose.yml, where each service name resolves to all of its replicas. Run after
 * changing the template (deploy/compose.test.ts fails while the committed file is stale):
 *
 *   node --import tsx --conditions=ludic-source deploy/compose/render-nginx.ts
 */
import { writeFileSync } from 'node:fs';
import { composeNginxConfig, composeNginxConfigPath } from './nginx.js';

writeFileSync(composeNginxConfigPath, composeNginxConfig());
console.log(`wrote ${composeNginxConfigPath}`);
