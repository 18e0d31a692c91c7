// The audit log's writer: one message per entry on hs.audit.<account>, answered only once
// JetStream stored it. The entry's id is its Nats-Msg-Id, so a retried publish stores it once.
import { headers as natsHeaders } from '@nats-io/transport-node';
import { type AuditEntry, auditSubject } from '@hookstream/contracts';
import { type Broker, handlesOf } from './connection.ts';
import { type Stored, pubAcksOf } from './pubacks.ts';

export interface AuditPublisher {
  publishAudit(entry: AuditEntry): Promise<Stored>;
}

const enc = new TextEncoder();

export function createAuditPublisher(broker: Broker, timeoutMs = 10_000): AuditPublisher {
  const { nc, writes } = handlesOf(broker);
  const acks = pubAcksOf(nc);
  return {
    publishAudit: (entry) =>
      new Promise((resolve, reject) => {
        const h = natsHeaders();
        h.set('Nats-Msg-Id', `audit:${entry.id}`);
        writes.defer(
          () =>
            void acks
              .publish(auditSubject(entry.account_id), enc.encode(JSON.stringify(entry)), h, timeoutMs)
              .then(resolve, reject),
        );
      }),
  };
}
