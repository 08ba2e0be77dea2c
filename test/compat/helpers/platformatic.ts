/** @platformatic/kafka as the matrix uses it. */
import { constants as zlibConstants } from 'node:zlib';
import type { MatrixRecord } from './matrix.js';

/**
 * node:zlib has zstd from Node 22.15 (its constants appear with it);
 * @platformatic/kafka's zstd needs it, so on Node 20 zstd is skipped.
 */
export const NODE_HAS_ZSTD = 'ZSTD_e_continue' in zlibConstants;

/** The matrix records as @platformatic/kafka messages (Buffer serde), all to partition 0. */
export const platformaticMessages = (topic: string, records: readonly MatrixRecord[]) =>
  records.map((r) => ({
    topic,
    partition: 0,
    key: r.key === null ? undefined : Buffer.from(r.key),
    value: Buffer.from(r.value),
    headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
  }));
