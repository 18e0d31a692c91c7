import t from 'tap';
import type { Test } from 'tap';
import fc from 'fast-check';
import { eventTypePatternQuery, isEventTypePattern, matchEventType, validateEventTypePattern } from './event-type.ts';

function holds<Ts>(tt: Test, property: fc.IProperty<Ts>): void {
  const details = fc.check(property, { numRuns: 500 });
  tt.equal(details.failed, false, fc.defaultReportMessage(details) ?? 'property holds');
}

const segment = fc.stringMatching(/^[A-Za-z0-9_\-:]{1,12}$/);
const eventType = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('.'));

t.test('given an exact pattern', async (t) => {
  t.test('when the type is equal, then it matches', async (t) => {
    t.equal(matchEventType('payment.succeeded', 'payment.succeeded'), true);
  });
  t.test('when the type differs in case, length or a segment, then it does not match', async (t) => {
    t.equal(matchEventType('payment.succeeded', 'Payment.succeeded'), false);
    t.equal(matchEventType('payment.succeeded', 'payment'), false);
    t.equal(matchEventType('payment.succeeded', 'payment.succeeded.late'), false);
    t.equal(matchEventType('payment.succeeded', 'payment.failed'), false);
  });
  t.test('when the event has no type, then it does not match', async (t) => {
    t.equal(matchEventType('payment.succeeded', null), false);
    t.equal(matchEventType('payment.succeeded', ''), false);
  });
});

t.test('given a null or empty pattern, when any event arrives, then it matches, even without a type', async (t) => {
  for (const p of [null, '']) {
    t.equal(matchEventType(p, 'payment.succeeded'), true);
    t.equal(matchEventType(p, null), true);
    t.equal(matchEventType(p, ''), true);
  }
});

t.test('given a single-segment wildcard', async (t) => {
  t.test('when it is the whole pattern, then it matches any one-segment type only', async (t) => {
    t.equal(matchEventType('*', 'ping'), true);
    t.equal(matchEventType('*', 'payment.succeeded'), false);
    t.equal(matchEventType('*', null), false);
  });
  t.test('when it is in the middle or at the end, then it stands for exactly one segment', async (t) => {
    t.equal(matchEventType('payment.*', 'payment.succeeded'), true);
    t.equal(matchEventType('payment.*', 'payment'), false);
    t.equal(matchEventType('payment.*', 'payment.intent.created'), false);
    t.equal(matchEventType('*.created', 'invoice.created'), true);
    t.equal(matchEventType('a.*.c', 'a.b.c'), true);
    t.equal(matchEventType('a.*.c', 'a.b.d'), false);
  });
  t.test('when the type has an empty segment there, then it does not match', async (t) => {
    t.equal(matchEventType('payment.*', 'payment.'), false);
  });
});

t.test('given a tail wildcard (** or >)', async (t) => {
  for (const tail of ['**', '>']) {
    t.test(`when the pattern is "payment.${tail}", then it matches one or more further segments`, async (t) => {
      t.equal(matchEventType(`payment.${tail}`, 'payment.succeeded'), true);
      t.equal(matchEventType(`payment.${tail}`, 'payment.intent.created'), true);
      t.equal(matchEventType(`payment.${tail}`, 'payment'), false);
      t.equal(matchEventType(`payment.${tail}`, 'refund.created'), false);
      t.equal(matchEventType(`payment.${tail}`, 'payment..x'), false);
    });
    t.test(`when the pattern is "${tail}" alone, then it matches every typed event`, async (t) => {
      t.equal(matchEventType(tail, 'a'), true);
      t.equal(matchEventType(tail, 'a.b.c'), true);
      t.equal(matchEventType(tail, null), false);
    });
  }
});

t.test('given an invalid pattern, when matching, then it never matches', async (t) => {
  t.equal(matchEventType('a.**.b', 'a.x.b'), false);
  t.equal(matchEventType('a..b', 'a..b'), false);
  t.equal(matchEventType('pay*', 'payment'), false);
});

t.test('given patterns to validate', async (t) => {
  t.test('when they follow the syntax, then there is no error', async (t) => {
    for (const p of [
      null,
      '',
      '*',
      '**',
      '>',
      'a',
      'a.b',
      'a.*.c',
      'a.>',
      'a.**',
      'stripe:charge.succeeded',
      'x_y-z.*',
    ]) {
      t.equal(validateEventTypePattern(p), null, String(p));
    }
  });
  t.test('when a segment is empty, then it is refused', async (t) => {
    for (const p of ['.', 'a.', '.a', 'a..b']) t.match(validateEventTypePattern(p), /empty segment/, p);
  });
  t.test('when ** or > is not last, then it is refused', async (t) => {
    t.match(validateEventTypePattern('**.a'), /last segment/);
    t.match(validateEventTypePattern('a.>.b'), /last segment/);
  });
  t.test('when a segment has other characters, then it is refused', async (t) => {
    for (const p of ['a b', 'a/b', 'é', 'a.b?', 'a.$']) t.match(validateEventTypePattern(p), /characters outside/, p);
  });
  t.test('when a wildcard is part of a segment, then it is refused', async (t) => {
    for (const p of ['pay*', 'a.*b', '>>', '***', 'a>']) t.match(validateEventTypePattern(p), /whole segment/, p);
  });
  t.test('when it is longer than 200 characters, then it is refused', async (t) => {
    t.equal(validateEventTypePattern('a'.repeat(200)), null);
    t.match(validateEventTypePattern('a'.repeat(201)), /at most 200/);
  });
});

t.test('properties', async (t) => {
  t.test('given any well-formed type, when the pattern equals it, then it matches', async (t) => {
    holds(
      t,
      fc.property(eventType, (type) => matchEventType(type, type)),
    );
  });
  t.test(
    'given any prefix, when the pattern is prefix.** or prefix.>, then every extension matches and the prefix alone does not',
    async (t) => {
      holds(
        t,
        fc.property(eventType, eventType, fc.constantFrom('**', '>'), (prefix, ext, tail) => {
          const p = `${prefix}.${tail}`;
          return matchEventType(p, `${prefix}.${ext}`) && !matchEventType(p, prefix);
        }),
      );
    },
  );
  t.test('given any type, when one segment is replaced by *, then it still matches', async (t) => {
    holds(
      t,
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.nat(), (segs, i) => {
        const p = segs.map((s, j) => (j === i % segs.length ? '*' : s)).join('.');
        return validateEventTypePattern(p) === null && matchEventType(p, segs.join('.'));
      }),
    );
  });
  t.test('given any valid pattern, when the event has no type, then it does not match', async (t) => {
    holds(
      t,
      fc.property(eventType, (p) => !matchEventType(p, null) && !matchEventType(p, '')),
    );
  });
  t.test('given arbitrary strings, when matching, then it never throws', async (t) => {
    holds(
      t,
      fc.property(fc.string(), fc.option(fc.string()), (p, type) => {
        matchEventType(p, type);
        validateEventTypePattern(p);
        return true;
      }),
    );
  });
});

t.test('eventTypePatternQuery: the regex and LIKE prefix match exactly what matchEventType matches', async (t) => {
  const types = [
    'order',
    'order.created',
    'order.paid',
    'order.item.added',
    'order.item.removed.late',
    'orders.created',
    'order_created',
    'orderXcreated',
    'order.',
    '.order',
    'order..created',
    'payment.intent.created',
    'payment',
    'a',
    'a.b',
    'a.b.c',
    'a:b.c-d',
    'order.created\n',
    'order.cre%ted',
    'ORDER.created',
    '',
  ];
  const patterns = [
    'order.*',
    'order.**',
    'order.>',
    '*',
    '**',
    '>',
    '*.created',
    'order.*.added',
    'order.item.**',
    'order_created',
    'order.created',
    'a:b.*',
    '*.*',
    '*.**',
    'order_*.x',
  ];
  // LIKE with backslash as its escape character, as Postgres evaluates it.
  const like = (prefix: string, s: string) => s.startsWith(prefix.replace(/\\(.)/g, '$1'));
  for (const p of patterns) {
    const q = eventTypePatternQuery(p);
    if (validateEventTypePattern(p) !== null) {
      t.equal(q, null, `${p} is not a pattern`);
      continue;
    }
    t.ok(q, p);
    if (!q) continue;
    for (const type of types) {
      const expected = matchEventType(p, type);
      t.equal(like(q.likePrefix, type) && new RegExp(q.regex).test(type), expected, `${p} vs ${JSON.stringify(type)}`);
      if (expected) t.ok(like(q.likePrefix, type), 'every match starts with the prefix');
    }
  }
  t.same(
    eventTypePatternQuery('order_item.*'),
    { regex: '^order_item\\.[^.]+$', likePrefix: 'order\\_item.' },
    "LIKE's _ is escaped",
  );
  t.same(eventTypePatternQuery('*.created'), { regex: '^[^.]+\\.created$', likePrefix: '' });
  t.equal(isEventTypePattern('order.*'), true);
  t.equal(isEventTypePattern('order.>'), true);
  t.equal(isEventTypePattern('order.created'), false);
});
