import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { CustomerId } from './api.ts';

t.test('a customer id: 1 to 128 printable characters, no control character', async (t) => {
  for (const ok of ['cus_42', 'Ünïcode kunde 7', 'a b', 'x'.repeat(128), '00000000-0000-4000-8000-000000000000']) {
    t.ok(Value.Check(CustomerId, ok), JSON.stringify(ok));
  }
  for (const bad of ['', 'x'.repeat(129), 'a\nb', 'tab\there', 'nul\u0000', 'del\u007f', 'c1\u0085', 'bell\u0007']) {
    t.notOk(Value.Check(CustomerId, bad), JSON.stringify(bad));
  }
});
