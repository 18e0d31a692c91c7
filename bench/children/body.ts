// The 1 KB JSON body every load generator sends: {"seq":N,"sent_at":ms,…} padded to exactly 1,024 bytes.
// seq first, so the receiver can read it without parsing the rest.
export const BODY_BYTES = 1024;

export function makeBody(seq: number, sentAt: number): Buffer {
  const head = `{"seq":${seq},"sent_at":${sentAt.toFixed(3)},"type":"bench.event","data":{"pad":"`;
  const tail = '"}}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, BODY_BYTES - head.length - tail.length)) + tail);
}
