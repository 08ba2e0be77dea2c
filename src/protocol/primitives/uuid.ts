/**
 * UUIDs (topic ids) are carried as Kafka prints them: 22 characters of
 * URL-safe base64 without padding.
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(buf: Buffer, pos: number): string {
  return buf.toString('base64url', pos, pos + 16);
}

export function uuidToBytes(uuid: string): Buffer {
  const b = Buffer.from(uuid, 'base64url');
  if (b.length !== 16) throw new RangeError(`not a 16-byte uuid: ${uuid}`);
  return b;
}

export function randomUuid(random: (n: number) => Buffer): string {
  const b = random(16);
  return b.toString('base64url');
}
