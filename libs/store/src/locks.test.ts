// Event lock keys and writer slots: random bits of the id, whatever its version.
import t from 'tap';
import { v7 as uuidv7 } from 'uuid';
import { WRITER_SLOTS, eventLockKey, writerSlot } from './locks.ts';

t.test('an id of version 4 keeps the key of its first 32 bits', async (t) => {
  t.equal(eventLockKey('8f14e45f-ceea-467f-a5c9-4b3a1a2b3c4d'), 0x8f14e45f | 0);
  t.equal(eventLockKey('00000001-ceea-467f-a5c9-4b3a1a2b3c4d'), 1);
});

t.test('ids in time order (v7) of the same millisecond get keys and slots from their random tail', async (t) => {
  const msecs = Date.UTC(2026, 11, 1);
  const ids = Array.from({ length: 200 }, () => uuidv7({ msecs }));
  t.equal(new Set(ids.map((id) => id.slice(0, 8))).size, 1, 'they share their first 32 bits');
  t.ok(ids.every((id) => eventLockKey(id) === (Number.parseInt(id.slice(-8), 16) | 0)));
  t.ok(new Set(ids.map(eventLockKey)).size > 190, 'their keys differ');
  const perSlot = Array.from({ length: WRITER_SLOTS }, (_, slot) => ids.filter((id) => writerSlot(id) === slot).length);
  t.ok(
    perSlot.every((n) => n > 50),
    `they spread over the writer slots: ${perSlot.join(', ')}`,
  );
});
