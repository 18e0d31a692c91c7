// Checks of the event-log filters shared by the list, bulk replays and exports.
import { isEventTypePattern, validateEventTypePattern } from '@hookstream/domain';
import { errors } from './errors.ts';

/** An event_type filter is one type or a route pattern; a malformed pattern is the caller's error. */
export function checkEventTypeFilter(value: string | undefined, field: string): void {
  if (value === undefined || !isEventTypePattern(value)) return;
  const problem = validateEventTypePattern(value);
  if (problem)
    throw errors.badRequest(
      `${field}: ${problem.replaceAll('event_type_pattern', 'the pattern')} (the patterns of routes: see docs/routing.md)`,
    );
}
