/** Public surface of the storage layer. */
export { type AppendOptions, type AppendResult, PartitionLog, type PartitionLogOptions, type ReadOptions, type ReadResult, type TimestampAndOffset } from './partition-log.js';
export { LogManager, type LogManagerOptions, parsePartitionDirName, partitionDirName, type TopicPartitionLog } from './log-manager.js';
export { defaultLogConfig, LOG_CONFIG_KAFKA_NAMES, type LogConfig, resolveLogConfig } from './log-config.js';
export { HandleCache } from './handle-cache.js';
export * from './errors.js';
