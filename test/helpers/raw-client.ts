/**
 * A raw Kafka protocol client over TCP built on Krill's own codec, for tests
 * that need exact bytes: malformed frames, specific versions, limits. It is
 * the conformance suite's connection (src/conformance/connection.ts).
 */
export { KafkaConnection as RawClient, ConnectionClosedError } from '../../src/conformance/connection.js';
export type { Input } from '../../src/protocol/primitives/index.js';
