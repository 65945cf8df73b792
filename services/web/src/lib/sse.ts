/** One Server-Sent Event: `event:` name (default "message") and its joined `data:` lines. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental text/event-stream parser (the WHATWG rules the API uses: `event:`, `data:`,
 * comment lines starting with ":", a blank line ends a message). Feed it chunks as they
 * arrive; it returns the messages each chunk completes. Chunks may split lines anywhere.
 */
export function createSseParser(): (chunk: string) => SseMessage[] {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    const messages: SseMessage[] = [];
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline);
      const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone "\r" at the end may be the first half of "\r\n": wait for the next chunk.
      if (buffer[newline] === '\r' && width === 1 && newline === buffer.length - 1) break;
      buffer = buffer.slice(newline + width);
      if (line === '') {
        if (data.length > 0) messages.push({ event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    return messages;
  };
}
