import { describe, expect, it } from 'vitest';
import { parseQuorumVoters, QuorumVotersError } from '../../../src/controller/raft/voters.js';

describe('parseQuorumVoters', () => {
  it.each([
    ['1@127.0.0.1:9093', [{ id: 1, host: '127.0.0.1', port: 9093 }]],
    [
      '1@127.0.0.1:19093,2@127.0.0.1:29093,3@ctl-3.example:39093',
      [
        { id: 1, host: '127.0.0.1', port: 19093 },
        { id: 2, host: '127.0.0.1', port: 29093 },
        { id: 3, host: 'ctl-3.example', port: 39093 },
      ],
    ],
    [' 0@localhost:1 , 7@[::1]:65535 ', [{ id: 0, host: 'localhost', port: 1 }, { id: 7, host: '::1', port: 65535 }]],
    ['1@h:9093,', [{ id: 1, host: 'h', port: 9093 }]],
  ])('parses %j', (input, expected) => {
    expect(parseQuorumVoters(input)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    [' , ', 'empty'],
    ['127.0.0.1:9093', 'not in the form'],
    ['@127.0.0.1:9093', 'not in the form'],
    ['x@127.0.0.1:9093', 'not a non-negative integer'],
    ['-1@127.0.0.1:9093', 'not a non-negative integer'],
    ['99999999999@h:1', 'out of range'],
    ['1@127.0.0.1', 'no port'],
    ['1@:9093', 'empty host'],
    ['1@h:abc', 'non-numeric port'],
    ['1@h:0', 'outside 1-65535'],
    ['1@h:65536', 'outside 1-65535'],
    ['1@::1:9093', 'brackets'],
    ['1@[::1:9093', 'malformed IPv6'],
    ['1@h:1,1@g:2', 'more than once'],
  ])('rejects %j', (input, message) => {
    expect(() => parseQuorumVoters(input)).toThrow(QuorumVotersError);
    expect(() => parseQuorumVoters(input)).toThrow(message);
  });
});
