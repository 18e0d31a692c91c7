// Shapes the read-model queries (libs/store) give the api's ports: defined once, for both sides.

/** A statistics range: whole intervals, from a minute boundary. */
export interface StatsWindow {
  /** Inclusive, on a minute boundary. */
  from: Date;
  /** Exclusive. */
  to: Date;
  intervalS: number;
}

/** Per-destination figures the rollups give (the api adds the name, pending and circuit state). */
export interface DestinationFigures {
  destination_id: string;
  attempts: number;
  succeeded: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  last_error: string | null;
  last_error_at: string | null;
  last_status_code: number | null;
  last_success_at: string | null;
  /** Failed attempts since the last success (counted by minute, within the window). */
  failures_since_success: number;
}
