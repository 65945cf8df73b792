import path from 'node:path';
import { loadNginxTemplate, renderNginxConfig } from '@ludic/stack';

export const composeNginxConfigPath = path.join(path.dirname(new URL(import.meta.url).pathname), 'nginx.conf');

/** The edge config for docker-compose.yml: deploy mode, the official nginx image's `nginx` user, compose service names. */
export function composeNginxConfig(): string {
  return renderNginxConfig(loadNginxTemplate(), {
    listen: '80',
    staticRoot: '/srv/ludic/web',
    user: 'nginx',
    upstreams: { auth: ['auth-gateway:4100'], wallet: ['wallet:4200'], bets: ['bets:4300'] },
  });
}
