import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFulcioExtensions, FULCIO_EXTENSION_NAMES } from '../../../../src/verify/index.ts';
import { derUtf8String } from '../../../../src/verify/certificate/fulcio.ts';

function derUtf8(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = body.length < 0x80 ? Buffer.from([body.length]) : body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([0x0c]), len, body]);
}

describe('decodeFulcioExtensions', () => {
  it('names v2 (DER UTF8String) and v1 (raw) extensions and ignores other OIDs', () => {
    const out = decodeFulcioExtensions([
      { oid: '1.3.6.1.4.1.57264.1.1', value: Buffer.from('https://token.actions.githubusercontent.com') },
      { oid: '1.3.6.1.4.1.57264.1.8', value: derUtf8('https://token.actions.githubusercontent.com') },
      { oid: '1.3.6.1.4.1.57264.1.12', value: derUtf8('https://github.com/acme/app') },
      { oid: '1.3.6.1.4.1.57264.1.9', value: derUtf8('https://github.com/acme/app/.github/workflows/b.yml@refs/heads/main') },
      { oid: '1.3.6.1.4.1.57264.1.99', value: derUtf8('future') },
      { oid: '2.5.29.17', value: Buffer.from('san') },
    ]);
    expect(out).toEqual({
      issuer_v1: 'https://token.actions.githubusercontent.com',
      issuer: 'https://token.actions.githubusercontent.com',
      source_repository_uri: 'https://github.com/acme/app',
      build_signer_uri: 'https://github.com/acme/app/.github/workflows/b.yml@refs/heads/main',
      oid_1_3_6_1_4_1_57264_1_99: 'future',
    });
    expect(FULCIO_EXTENSION_NAMES).toContain('source_repository_ref');
  });

  it('round-trips any string through DER UTF8String (property, fixed seed)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'grapheme' }), (s) => derUtf8String(derUtf8(s)) === s), { seed: 42, numRuns: 300 });
  });

  it('never throws on arbitrary bytes (property, fixed seed)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      decodeFulcioExtensions([{ oid: '1.3.6.1.4.1.57264.1.12', value: b }]);
      return true;
    }), { seed: 7, numRuns: 500 });
  });
});
