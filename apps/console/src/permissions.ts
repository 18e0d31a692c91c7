// What the signed-in caller may do, as the server says in its session (from the one permission
// table in the domain code). The console hides what the role may not do; the server refuses it anyway.
import { useQueryClient } from '@tanstack/react-query';
import type { ConsoleSession } from '@hookstream/sdk';
import { SESSION_KEY } from './api.ts';

export type Action =
  | 'read'
  | 'config.write'
  | 'events.send'
  | 'events.replay'
  | 'exports.create'
  | 'secrets.reveal'
  | 'audit.read'
  | 'apikeys.manage'
  | 'members.manage'
  | 'account.manage'
  | 'owners.manage';

/** A function telling whether the caller may take an action; false until the session is known. */
export function useCan(): (action: Action) => boolean {
  const session = useQueryClient().getQueryData<ConsoleSession>(SESSION_KEY);
  const allowed = new Set(session?.permissions ?? []);
  return (action) => allowed.has(action);
}

export function useSession(): ConsoleSession | undefined {
  return useQueryClient().getQueryData<ConsoleSession>(SESSION_KEY);
}
