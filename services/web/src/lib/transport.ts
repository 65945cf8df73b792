import type { Transport } from '@ludic/contracts';

/** The browser transport: same-origin fetch through nginx, JSON in and out. */
export const fetchTransport: Transport = async (request) => {
  const response = await fetch(request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
    signal: request.signal ?? null,
    credentials: 'omit',
  });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  let body: unknown = text;
  if (text && isJson) body = JSON.parse(text);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body };
};
