import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
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

/**
 * One line per request, written when it completes (method, URL, status, time), instead of
 * Fastify's two (incoming + completed): every log line is a write(2) to stdout, and under load
 * the second line cost as much CPU as a database round trip. The request id is on the line, so
 * a request is still followed across services by `reqId`.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const req = { method: request.method, url: request.url };
    if (error) reply.log.error({ req, res: { statusCode: reply.statusCode }, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
  }
}
