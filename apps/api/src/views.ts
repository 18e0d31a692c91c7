// Records as the API shows them: secrets never leave, only whether they are set.
import type {
  AccountRecord,
  ApiKeyRecord,
  BrandRecord,
  DestinationRecord,
  InviteRecord,
  MemberRecord,
  RouteRecord,
  SourceRecord,
} from '@hookstream/contracts';

export const accountView = (a: AccountRecord) => ({
  id: a.id,
  name: a.name,
  plan: a.plan,
  retention_days: a.retention_days,
  created_at: a.created_at,
});

export const apiKeyView = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role ?? ('admin' as const),
  created_at: k.created_at,
  revoked_at: k.revoked_at,
});

export const sourceView = (s: SourceRecord, publicUrl: string) => {
  const vc = s.verification_config;
  return {
    id: s.id,
    name: s.name,
    path_token: s.path_token,
    ingest_url: `${publicUrl}/ingest/${s.path_token}`,
    auth_mode: s.auth_mode,
    verification_config: vc
      ? {
          provider: vc.provider,
          ...(vc.header ? { header: vc.header } : {}),
          ...(vc.algorithm ? { algorithm: vc.algorithm } : {}),
          ...(vc.encoding ? { encoding: vc.encoding } : {}),
          ...(vc.prefix !== undefined ? { prefix: vc.prefix } : {}),
          ...(vc.tolerance_s ? { tolerance_s: vc.tolerance_s } : {}),
          secret_set: Boolean(vc.secret),
        }
      : null,
    active: s.active,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
};

export const destinationView = (d: DestinationRecord) => ({
  id: d.id,
  name: d.name,
  url: d.url,
  auth_token_set: d.auth_token !== null,
  headers: d.headers,
  signing_secret_set: d.signing_secrets.length > 0,
  signature_scheme: d.signature_scheme,
  timeout_ms: d.timeout_ms,
  retry_policy: d.retry_policy,
  rate_limit_per_s: d.rate_limit_per_s,
  max_in_flight: d.max_in_flight,
  active: d.active,
  customer_id: d.customer_id ?? null,
  created_at: d.created_at,
  updated_at: d.updated_at,
});

export const routeView = (r: RouteRecord) => ({
  id: r.id,
  source_id: r.source_id,
  destination_id: r.destination_id,
  event_type_pattern: r.event_type_pattern,
  labels: r.labels,
  payload_filter: r.payload_filter,
  active: r.active,
  customer_id: r.customer_id ?? null,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const brandView = (b: BrandRecord) => ({
  name: b.name,
  logo_url: b.logo_url,
  primary_color: b.primary_color,
  accent_color: b.accent_color,
  support_email: b.support_email,
  embed_origins: b.embed_origins ?? [],
  created_at: b.created_at,
  updated_at: b.updated_at,
});

export const memberView = (m: MemberRecord) => ({
  id: m.id,
  email: m.email,
  name: m.name,
  role: m.role,
  password_set: m.password_hash !== null,
  sso_linked: m.sso_subject !== null,
  created_at: m.created_at,
  updated_at: m.updated_at,
});

export const inviteView = (i: InviteRecord, nowMs: number) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  created_at: i.created_at,
  expires_at: i.expires_at,
  expired: Date.parse(i.expires_at) <= nowMs,
});
