/**
 * The conformance suite: grades any Kafka-compatible broker at the wire
 * level with Krill's codec. `krill conformance --bootstrap host:port` runs it;
 * runConformance() is the programmatic entry.
 */
export { runConformance, type ConformanceReport, type RunOptions } from './runner.js';
export { formatReport, reportJson } from './report.js';
export { runConformanceCommand, type ConformanceCommandArgs } from './command.js';
export { KafkaConnection, ConnectionClosedError } from './connection.js';
export type { Check, CheckResult, Status } from './check.js';
