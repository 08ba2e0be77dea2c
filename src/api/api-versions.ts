/**
 * ApiVersions (key 18), v0-4. The ranges come from the registry, so they
 * always match the handlers that exist. v3+ carries the client's software
 * name and version (KIP-511). A version newer than ours is answered by the
 * server with a v0 body holding UNSUPPORTED_VERSION and our ranges.
 */
import { apiVersionsRequestMeta } from '../protocol/generated/api-versions-request.js';
import { apiVersionsResponseMeta, type ApiVersion } from '../protocol/generated/api-versions-response.js';
import { ErrorCode } from './error-codes.js';
import { registerApi, registeredApis, type ListenerScope } from './registry.js';

/** The version ranges a listener of the given scope advertises (clients' listeners by default). */
export function supportedApiVersions(scope: ListenerScope = 'broker'): ApiVersion[] {
  return registeredApis(scope).map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
}

registerApi({
  request: apiVersionsRequestMeta,
  response: apiVersionsResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const name = req.clientSoftwareName;
    if (name !== '' && !/^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/.test(name)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: supportedApiVersions(ctx.listenerScope) };
    }
    return { errorCode: 0, apiKeys: supportedApiVersions(ctx.listenerScope), finalizedFeaturesEpoch: -1n };
  },
});
