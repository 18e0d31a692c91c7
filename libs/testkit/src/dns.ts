// A DNS server of the test's own on loopback UDP, answering TXT queries from a table the test edits.
import type { Test } from 'tap';
import dns2 from 'dns2';

/** Starts the server; `records` maps a lower-case name to its TXT values. Returns the port. */
export async function startDns(t: Test, records: Map<string, string[]>): Promise<number> {
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request);
      const q = request.questions[0];
      for (const value of (q && records.get(q.name.toLowerCase())) ?? []) {
        response.answers.push({
          name: q!.name,
          type: dns2.Packet.TYPE.TXT,
          class: dns2.Packet.CLASS.IN,
          ttl: 1,
          data: value,
        } as never);
      }
      // A lost answer only makes the lookup under test time out, which that test reports.
      void send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  t.teardown(() => server.close());
  return (server.addresses().udp as { port: number }).port;
}
