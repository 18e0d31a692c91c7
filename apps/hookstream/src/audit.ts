// The API's audit-log port: entries go to HS_AUDIT (awaited), reads come from the audit_log read model.
import { type Broker, createAuditPublisher } from '@hookstream/broker';
import type { AuditPort } from '@hookstream/app-api';
import { type Pool, listAuditLog } from '@hookstream/store';

export function auditPort(broker: Broker, pool: Pool | null): AuditPort {
  const publisher = createAuditPublisher(broker);
  return {
    record: (entry) => publisher.publishAudit(entry),
    ...(pool ? { list: (accountId, filter) => listAuditLog(pool, accountId, filter) } : {}),
  };
}
