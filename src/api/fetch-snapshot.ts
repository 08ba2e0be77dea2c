/**
 * FetchSnapshot (key 59), v0-1 (KIP-630; v1 adds directory ids, KIP-853).
 * Served on CONTROLLER listeners only. A follower told by a Fetch answer
 * that it needs the leader's snapshot reads the checkpoint in chunks:
 * SnapshotId and Position in, UnalignedRecords (up to MaxBytes) and the
 * total Size out. SNAPSHOT_NOT_FOUND when the snapshot is no longer the
 * current one, POSITION_OUT_OF_RANGE past its end, NOT_LEADER_OR_FOLLOWER
 * off the leader.
 */
import { fetchSnapshotRequestMeta } from '../protocol/generated/fetch-snapshot-request.js';
import { fetchSnapshotResponseMeta } from '../protocol/generated/fetch-snapshot-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: fetchSnapshotRequestMeta,
  response: fetchSnapshotResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  listeners: ['controller'],
  handle(ctx, req) {
    return ctx.broker.controller.quorum.transport.handleFetchSnapshot(req);
  },
});
