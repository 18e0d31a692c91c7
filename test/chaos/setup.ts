// Creates the account, the source, one destination per profile and one route per destination.
import type { ApiClient } from './api.ts';
import { DESTINATIONS, MAX_IN_FLIGHT, type Profile, RETRY_POLICY } from './topology.ts';

export interface Tenant {
  key: string;
  sourceId: string;
  token: string;
  destinationIds: Record<Profile, string>;
  profileOf: Map<string, Profile>;
}

function must(r: { status: number; json: any }, what: string): any {
  if (r.status !== 201 && r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.data;
}

export async function createTenant(anon: ApiClient, receiverUrl: string): Promise<Tenant> {
  const acct = must(await anon.call('POST', '/v1/accounts', { name: 'chaos' }), 'create account');
  const api = anon.withKey(acct.api_key);
  const src = must(await api.call('POST', '/v1/sources', { name: 'chaos' }), 'create source');
  const destinationIds = {} as Record<Profile, string>;
  const profileOf = new Map<string, Profile>();
  for (const d of DESTINATIONS) {
    const dst = must(
      await api.call('POST', '/v1/destinations', {
        name: d.profile,
        url: `${receiverUrl}/d/${d.profile}`,
        timeout_ms: d.timeoutMs,
        retry_policy: RETRY_POLICY,
        max_in_flight: MAX_IN_FLIGHT,
      }),
      `create destination ${d.profile}`,
    );
    destinationIds[d.profile] = dst.id;
    profileOf.set(dst.id, d.profile);
    must(
      await api.call('POST', '/v1/routes', {
        source_id: src.id,
        destination_id: dst.id,
        event_type_pattern: d.pattern,
      }),
      `create route to ${d.profile}`,
    );
  }
  return { key: acct.api_key, sourceId: src.id, token: src.path_token, destinationIds, profileOf };
}
