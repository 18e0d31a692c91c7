// The account, its brand (which re-themes this console) and its custom domains.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UpsertBrandParams } from '@hookstream/sdk';
import { SESSION_KEY, client } from '../api.ts';
import { CopyButton, ErrorNote, Loading, Status, Table, Time, formText } from '../ui.tsx';
import { SettingsTabs } from './SettingsTabs.tsx';
import { Can } from '../permissions.tsx';

export function Settings() {
  const qc = useQueryClient();
  const account = useQuery({ queryKey: ['account'], queryFn: () => client.account.get() });
  const brand = useQuery({ queryKey: ['brand'], queryFn: () => client.brandSettings.get() });
  const domains = useQuery({ queryKey: ['domains'], queryFn: () => client.customDomains.list({ limit: 100 }) });
  const [saved, setSaved] = useState(false);
  const saveBrand = useMutation({
    mutationFn: (p: UpsertBrandParams) => client.brandSettings.upsert(p),
    onSuccess: () => {
      setSaved(true);
      void qc.invalidateQueries({ queryKey: ['brand'] });
      void qc.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const addDomain = useMutation({
    mutationFn: (hostname: string) => client.customDomains.create({ hostname }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['domains'] }),
  });
  const verify = useMutation({
    mutationFn: (id: string) => client.customDomains.verify(id),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['domains'] }),
  });
  const submitBrand = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const v = (k: string) => {
      const s = formText(f, k).trim();
      return s === '' ? null : s;
    };
    const embed_origins = formText(f, 'embed_origins')
      .split(/[\s,]+/)
      .filter((o) => o !== '');
    saveBrand.mutate({
      name: v('name'),
      logo_url: v('logo_url'),
      primary_color: v('primary_color'),
      accent_color: v('accent_color'),
      support_email: v('support_email'),
      embed_origins,
    });
  };
  const submitDomain = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const h = formText(new FormData(e.currentTarget), 'hostname').trim();
    if (h) addDomain.mutate(h, { onSuccess: () => (e.target as HTMLFormElement).reset() });
  };
  if (account.isPending || brand.isPending) return <Loading />;
  const b = brand.data;
  return (
    <>
      <h1>Settings</h1>
      <SettingsTabs />
      <ErrorNote error={account.error ?? brand.error} />
      {account.data && (
        <dl className="meta">
          <dt>Account</dt>
          <dd>{account.data.name}</dd>
          <dt>Plan</dt>
          <dd>{account.data.plan}</dd>
          <dt>Retention</dt>
          <dd>
            {account.data.retention_days} {account.data.retention_days === 1 ? 'day' : 'days'}
          </dd>
        </dl>
      )}
      <h2>Brand</h2>
      <p className="muted">The name, logo and colour apply to this console and to the customer portal.</p>
      <Can action="account.manage">
        <form className="form" onSubmit={submitBrand} key={b?.updated_at ?? 'new'}>
          <label>
            Brand name
            <input name="name" defaultValue={b?.name ?? ''} />
          </label>
          <label>
            Logo URL (https)
            <input name="logo_url" defaultValue={b?.logo_url ?? ''} placeholder="https://…" />
          </label>
          <label>
            Primary colour
            <input
              name="primary_color"
              defaultValue={b?.primary_color ?? ''}
              placeholder="#1f5fcf"
              pattern="#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})"
            />
          </label>
          <label>
            Accent colour
            <input
              name="accent_color"
              defaultValue={b?.accent_color ?? ''}
              placeholder="#1f5fcf"
              pattern="#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})"
            />
          </label>
          <label>
            Support email
            <input name="support_email" type="email" defaultValue={b?.support_email ?? ''} />
          </label>
          <label className="wide">
            Origins that may embed the customer portal (one a line, like https://app.example.com)
            <textarea
              name="embed_origins"
              defaultValue={(b?.embed_origins ?? []).join('\n')}
              placeholder="https://app.example.com"
            />
          </label>
          <div className="row">
            <button type="submit" className="primary" disabled={saveBrand.isPending}>
              Save brand
            </button>
            {saved && <span role="status">Saved.</span>}
          </div>
          <div className="wide">
            <ErrorNote error={saveBrand.error} />
          </div>
        </form>
      </Can>
      <h2>Custom domains</h2>
      <Can action="account.manage">
        <form className="row" onSubmit={submitDomain} aria-label="Add custom domain">
          <label className="inline">
            Hostname
            <input name="hostname" placeholder="hooks.example.com" />
          </label>
          <button type="submit" disabled={addDomain.isPending}>
            Add domain
          </button>
        </form>
      </Can>
      <ErrorNote error={addDomain.error ?? verify.error ?? domains.error} />
      {(domains.data?.data.length ?? 0) > 0 && (
        <Table
          label="Custom domains"
          head={
            <tr>
              <th>Hostname</th>
              <th>State</th>
              <th>TXT record</th>
              <th>Checked</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          }
        >
          {domains.data!.data.map((d) => (
            <tr key={d.id}>
              <td className="nowrap">{d.hostname}</td>
              <td>
                <Status value={d.status === 'pending' ? 'pending' : d.status} />
                {d.last_error && <div className="muted">{d.last_error}</div>}
              </td>
              <td>
                <code>{d.verification.name}</code>
                <div className="id">
                  <code>{d.verification.value}</code>
                  <CopyButton text={d.verification.value} label={`Copy TXT value for ${d.hostname}`} />
                </div>
              </td>
              <td>
                <Time iso={d.last_checked_at} />
              </td>
              <td>
                {d.status !== 'verified' && (
                  <button type="button" onClick={() => verify.mutate(d.id)} disabled={verify.isPending}>
                    Verify {d.hostname}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
