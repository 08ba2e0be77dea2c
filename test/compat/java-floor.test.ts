/**
 * Java 4.x clients need, for every API they use, a broker maximum at or
 * above the Kafka 4.0 floor (KIP-896; ../shared/kafka-protocol/CLIENT-VERSIONS.md).
 * Checked against Krill's ApiVersions table without a network.
 */
import { describe, expect, it } from 'vitest';
import { supportedApiVersions } from '../../src/api/index.js';
import { API_NAMES } from '../../src/protocol/generated/api-keys.js';
import { JAVA_4_FLOOR } from '../../src/conformance/java-floor.js';

describe('the Java 4.x version floor', () => {
  it('every API Krill advertises reaches the floor', () => {
    const below = supportedApiVersions()
      .filter((a) => a.maxVersion < (JAVA_4_FLOOR.get(a.apiKey) ?? 0))
      .map((a) => `${API_NAMES[a.apiKey]} max v${a.maxVersion} < v${JAVA_4_FLOOR.get(a.apiKey)}`);
    expect(below).toEqual([]);
  });

  it('Produce is advertised from v0 (librdkafka, KAFKA-18659) though v0-2 are refused', () => {
    expect(supportedApiVersions().find((a) => a.apiKey === 0)?.minVersion).toBe(0);
  });
});
