import t from 'tap';
import { HEAP_FLAGS, missingHeapFlags } from './heap.ts';

const SEMI_SPACE = HEAP_FLAGS.find((f) => f.startsWith('--max-semi-space-size=')) as string;
const OLD_SPACE = HEAP_FLAGS.find((f) => f.startsWith('--max-old-space-size=')) as string;

t.test('given a process started without heap flags, when checked, then every heap flag is missing', async (t) => {
  t.ok(SEMI_SPACE && OLD_SPACE, 'both generations are sized');
  t.same(missingHeapFlags([], undefined), HEAP_FLAGS);
  t.same(
    missingHeapFlags(['--cpu-prof', '--enable-source-maps'], '--import=x.mjs'),
    HEAP_FLAGS,
    'other flags do not count',
  );
});

t.test(
  'given the process already runs with the flags, when checked, then nothing is missing (no second re-exec)',
  async (t) => {
    t.same(missingHeapFlags([...HEAP_FLAGS], undefined), []);
  },
);

t.test("given an operator's own value, when checked, then it is kept and only the other flag is added", async (t) => {
  t.same(missingHeapFlags(['--max-old-space-size=2048'], undefined), [SEMI_SPACE]);
  t.same(missingHeapFlags([], '--max-semi-space-size=64'), [OLD_SPACE], 'in NODE_OPTIONS');
  t.same(
    missingHeapFlags(['--max_semi_space_size=8'], '  --max-old-space-size=300  '),
    [],
    'underscores and extra spaces',
  );
  t.same(
    missingHeapFlags([], '"--import=file:///a b/x.mjs" "--max-old-space-size=700"'),
    [SEMI_SPACE],
    'quoted, as tap writes it',
  );
  t.same(missingHeapFlags([], '--max-heap-size=1024'), [], '--max-heap-size sizes both generations');
});
