// The replay and export types are written out by hand (their schemas live in the API app, which a
// publishable SDK must not import). Here they are held to those schemas: at compile time by type
// equality, at run time by field names.
import t from 'tap';
import type { Static, TObject } from '@sinclair/typebox';
import { CreateReplayBody, ReplayView } from '../../../apps/api/src/routes/replays.ts';
import type { ExportFilter } from '../../../apps/api/src/routes/exports.ts';
import { CreateExportBody, ExportView } from '../../../apps/api/src/routes/exports.ts';
import type { CreateExportParams, CreateReplayParams, Export, ExportFilter as SdkExportFilter, Replay } from './types.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
// `filter` is an open object on the server; the SDK types it as a record. `status` is a string union
// built with .map() on the server (so typed as string there); the SDK names its values.
type Same<A, B> = Equal<Omit<A, 'filter' | 'status'>, Omit<B, 'filter' | 'status'>>;
export type Checks = [
  Assert<Same<Replay, Static<typeof ReplayView>>>,
  Assert<Replay['status'] extends Static<typeof ReplayView>['status'] ? true : false>,
  Assert<Same<Export, Static<typeof ExportView>>>,
  Assert<Export['status'] extends Static<typeof ExportView>['status'] ? true : false>,
  Assert<Equal<CreateReplayParams, Static<typeof CreateReplayBody>>>,
  Assert<Equal<CreateExportParams, Static<typeof CreateExportBody>>>,
  Assert<Equal<SdkExportFilter, Static<typeof ExportFilter>>>,
];

const keys = (s: TObject) => Object.keys(s.properties).sort();
const required = (s: TObject) => [...(s.required ?? [])].sort();

t.test('replay and export shapes match the routes', async (t) => {
  const replay = { id: 1, status: 1, filter: 1, scanned: 1, matched: 1, replayed: 1, deliveries: 1, created_at: 1, started_at: 1, finished_at: 1, error: 1 } satisfies Record<keyof Replay, 1>;
  t.same(Object.keys(replay).sort(), keys(ReplayView));
  const exp = {
    id: 1, kind: 1, format: 1, filter: 1, status: 1, rows: 1, bytes: 1, created_at: 1, started_at: 1, finished_at: 1, expires_at: 1, error: 1, download_url: 1,
  } satisfies Record<keyof Export, 1>;
  t.same(Object.keys(exp).sort(), keys(ExportView));
  t.same(required(CreateReplayBody), ['since', 'until']);
  t.same(required(CreateExportBody), ['format', 'kind']);
  t.same(ReplayView.properties.status.anyOf.map((s: { const: string }) => s.const).sort(), ['cancelled', 'completed', 'failed', 'queued', 'running']);
  t.same(ExportView.properties.status.anyOf.map((s: { const: string }) => s.const).sort(), ['completed', 'expired', 'failed', 'queued', 'running']);
});
