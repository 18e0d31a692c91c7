// The client's handles behind a Broker, for the test kit only: tests that must write what the
// roles never would (malformed messages, raw bucket values) reach them here. A lint rule keeps every
// other package out of this entry point.
export { type Handles, handlesOf } from './connection.ts';
