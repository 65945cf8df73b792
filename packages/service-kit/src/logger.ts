import type { LoggerOptions } from 'pino';

/**
 * JSON logs with the service and instance on every line. Secrets never reach a log: auth
 * headers, service tokens, passwords and tokens in bodies are redacted wherever they appear.
 */
export function loggerOptions(input: { level: string; service: string; serverId: string }): LoggerOptions {
  return {
    level: input.level,
    base: { service: input.service, serverId: input.serverId },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-internal-token"]',
        'headers.authorization',
        'headers["x-internal-token"]',
        '*.password',
        '*.token',
        '*.refreshToken',
        'password',
        'token',
        'refreshToken',
      ],
      censor: '[redacted]',
    },
  };
}
