/** Largest offset distance from a segment's base that its indexes can hold (int32). */
export const MAX_RELATIVE_OFFSET = 0x7fffffff;
