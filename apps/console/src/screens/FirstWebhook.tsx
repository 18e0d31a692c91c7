// The empty state of an account with no events: the curl that sends its first webhook.
import type { Source } from '@hookstream/sdk';
import { CopyButton, Empty } from '../ui.tsx';
import { Link } from '../router.tsx';

export function FirstWebhook({ sources }: { sources: Source[] }) {
  const src = sources[0];
  if (!src) {
    return (
      <Empty title="No events yet.">
        <p>
          Events arrive through a source. <Link to="/sources">Create a source</Link> to get an ingest URL, add a{' '}
          <Link to="/destinations">destination</Link> and a <Link to="/routes">route</Link> between them, then send a
          webhook to the URL.
        </p>
      </Empty>
    );
  }
  const curl = `curl -X POST '${src.ingest_url}' \\\n  -H 'content-type: application/json' \\\n  -H 'x-event-type: order.created' \\\n  -d '{"id": "ord_1", "amount": 4200}'`;
  return (
    <Empty title="No events yet. Send a first webhook:">
      <pre>{curl}</pre>
      <div className="row">
        <CopyButton text={curl} label="Copy the curl command" />
        <span>
          It appears here at once (Live is on). Route it to a destination on the <Link to="/routes">Routes</Link> page.
        </span>
      </div>
    </Empty>
  );
}
