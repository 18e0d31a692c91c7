// Errors a port raises for the caller's own input, so that the API can answer 400 by their class.

/** A query parameter the caller got wrong (a cursor, a time): the API answers 400 with its message. */
export class InvalidQueryError extends Error {
  override name = 'InvalidQueryError';
  readonly code: 'invalid_cursor' | 'invalid_time';
  readonly statusCode = 400;
  constructor(code: 'invalid_cursor' | 'invalid_time', message: string) {
    super(message);
    this.code = code;
  }
}
