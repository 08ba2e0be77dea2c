/**
 * Error codes the transactional APIs answer older clients with. PRODUCER_FENCED
 * (KIP-588) exists from InitProducerId v4 and AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn v2; older versions get INVALID_PRODUCER_EPOCH,
 * which such clients treat as fatal, as Kafka does.
 */
import { ErrorCode } from '../api/error-codes.js';

export function fencedFor(errorCode: number, apiVersion: number, fencedFrom: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < fencedFrom ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
