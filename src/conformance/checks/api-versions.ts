/**
 * ApiVersions (18): every advertised version answers with a sane table;
 * v3+ validates the client software name (KIP-511); a version newer than the
 * broker's is answered with a v0 body carrying UNSUPPORTED_VERSION and the
 * broker's ranges, so the client can retry; and the table meets the floor
 * Java 4.x clients need (KIP-896).
 */
import { ErrorCode } from '../../api/error-codes.js';
import { Reader, Writer } from '../../protocol/primitives/index.js';
import { decodeApiVersionsResponse } from '../../protocol/generated/api-versions-response.js';
import { encodeRequestHeader } from '../../protocol/generated/request-header.js';
import type { Check } from '../check.js';
import { expectError, expectNoError, expectTrue, fail, skip } from '../assert.js';
import { Api } from '../ops.js';
import { JAVA_4_FLOOR } from '../java-floor.js';

const K = Api.ApiVersions;

const basic: Check = {
  id: 'api-versions.table',
  title: 'answers with a consistent version table that includes ApiVersions itself',
  apiKey: K,
  versions: 'all',
  tagged: true,
  async run(ctx, v) {
    const c = await ctx.conn();
    const res = await c.request(K, v, { clientSoftwareName: 'krill-conformance', clientSoftwareVersion: '1.0' });
    expectNoError(res.errorCode, 'errorCode');
    expectTrue(res.apiKeys.length > 0, 'the version table is empty');
    const seen = new Set<number>();
    for (const k of res.apiKeys) {
      expectTrue(!seen.has(k.apiKey), `API ${k.apiKey} is listed twice`);
      seen.add(k.apiKey);
      expectTrue(k.minVersion >= 0 && k.minVersion <= k.maxVersion, `API ${k.apiKey} has the range ${k.minVersion}-${k.maxVersion}`);
    }
    const own = res.apiKeys.find((k) => k.apiKey === K);
    expectTrue(own !== undefined && own.maxVersion >= v, `ApiVersions v${v} answered, but the table lists ApiVersions as ${own ? `${own.minVersion}-${own.maxVersion}` : 'absent'}`);
    const first = ctx.suite.advertised;
    for (const k of res.apiKeys) {
      const a = first.get(k.apiKey);
      expectTrue(a !== undefined && a.min === k.minVersion && a.max === k.maxVersion, `API ${k.apiKey} range differs between ApiVersions versions`);
    }
  },
};

const badSoftwareName: Check = {
  id: 'api-versions.invalid-software-name',
  title: 'refuses an invalid client software name with INVALID_REQUEST (KIP-511)',
  apiKey: K,
  versions: { min: 3 },
  async run(ctx, v) {
    const c = await ctx.conn();
    const res = await c.request(K, v, { clientSoftwareName: '-not valid!', clientSoftwareVersion: '1.0' });
    expectError(res.errorCode, ErrorCode.INVALID_REQUEST, 'errorCode');
  },
};

const newerVersion: Check = {
  id: 'api-versions.newer-version',
  title: 'answers a newer ApiVersions version with a v0 body: UNSUPPORTED_VERSION and the ranges',
  apiKey: K,
  async run(ctx) {
    const max = ctx.suite.advertised.get(K)!.max;
    const sent = max + 1;
    const c = await ctx.fresh();
    // A request at a version the broker does not know: header v2 (flexible), empty flexible body.
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, 2, { requestApiKey: K, requestApiVersion: sent, correlationId: 777, clientId: 'krill-conformance' });
    w.uvarint(1).uvarint(1).uvarint(0); // clientSoftwareName "", clientSoftwareVersion "", no tags
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const wait = c.nextFrame();
    c.writeRaw(frame);
    const res = await wait;
    const r = new Reader(res);
    expectTrue(r.int32() === 777, 'correlation id of the answer');
    let body;
    try {
      body = decodeApiVersionsResponse(r, 0);
    } catch (err) {
      fail(`the answer to ApiVersions v${sent} is not a v0 body: ${(err as Error).message}`);
    }
    expectError(body.errorCode, ErrorCode.UNSUPPORTED_VERSION, `errorCode for ApiVersions v${sent}`);
    const own = body.apiKeys.find((k) => k.apiKey === K);
    expectTrue(own !== undefined && own.maxVersion === max, 'the v0 answer lists the ApiVersions range');
  },
};

const javaFloor: Check = {
  id: 'api-versions.java-4-floor',
  title: 'every advertised API reaches the version floor of Java 4.x clients (KIP-896)',
  apiKey: K,
  async run(ctx) {
    const low: string[] = [];
    for (const [apiKey, r] of ctx.suite.advertised) {
      const floor = JAVA_4_FLOOR.get(apiKey);
      if (floor !== undefined && r.max < floor) low.push(`API ${apiKey} max v${r.max} < floor v${floor}`);
    }
    if (low.length > 0) fail(low.join('; '));
    if (ctx.suite.advertised.size === 0) skip('empty version table');
  },
};

export const apiVersionsChecks: Check[] = [basic, badSoftwareName, newerVersion, javaFloor];
