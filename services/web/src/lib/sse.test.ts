import t from 'tap';
import { createSseParser } from './sse.js';

t.test('messages, comments and keep-alives', async (t) => {
  const parse = createSseParser();
  t.same(parse(': keep-alive\n\n'), [], 'a comment is no message');
  t.same(parse('event: wallet.updated\ndata: {"balance":"10.00"}\n\n'), [{ event: 'wallet.updated', data: '{"balance":"10.00"}' }]);
  t.same(parse('data: a\ndata: b\n\n'), [{ event: 'message', data: 'a\nb' }], 'data lines join, default event name');
});

t.test('chunks may split anywhere, CRLF included', async (t) => {
  const stream = 'event: bet.settled\r\ndata: {"id":1}\r\n\r\nevent: wallet.updated\ndata: {"balance":"1.00"}\n\n';
  for (let size = 1; size <= 7; size++) {
    const parse = createSseParser();
    const messages = [];
    for (let i = 0; i < stream.length; i += size) messages.push(...parse(stream.slice(i, i + size)));
    t.same(messages, [
      { event: 'bet.settled', data: '{"id":1}' },
      { event: 'wallet.updated', data: '{"balance":"1.00"}' },
    ], `chunks of ${size}`);
  }
});

t.test('an unfinished message waits for its blank line', async (t) => {
  const parse = createSseParser();
  t.same(parse('event: bet.settled\ndata: {}\n'), []);
  t.same(parse('\n'), [{ event: 'bet.settled', data: '{}' }]);
});
