import { nonGsm7Characters, smsSegments } from './sms-segments';

describe('smsSegments', () => {
  it('fits 160 GSM-7 characters in one SMS and splits 161 into two', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
  });

  it('counts extension-table characters such as € as two septets', () => {
    expect(smsSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments('a'.repeat(159) + '€')).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsSegments('{}[]~^|\\')).toMatchObject({ encoding: 'GSM-7', units: 16 });
  });

  it('never splits an escape pair across parts', () => {
    // 152 septets, then € (2) does not fit in part one's last septet.
    expect(smsSegments('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ units: 306, segments: 3 });
  });

  it('keeps Swedish and other GSM-7 letters in GSM-7', () => {
    expect(smsSegments('Hej Åsa! Din order är på väg. Ö/ø/ñ/ü/é/à @£$¥§¿¡')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('switches to UCS-2 for an emoji: 70 units in one SMS, 67 per part', () => {
    expect(smsSegments('a'.repeat(68) + '😀')).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments('a'.repeat(69) + '😀')).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
    expect(smsSegments('ç'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments('ç'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
    expect(smsSegments('ç'.repeat(134))).toMatchObject({ segments: 2 });
    expect(smsSegments('ç'.repeat(135))).toMatchObject({ segments: 3 });
  });

  it('never splits a surrogate pair across parts', () => {
    expect(smsSegments('a'.repeat(66) + '😀' + 'a'.repeat(66))).toMatchObject({ units: 134, segments: 3 });
  });

  it('counts an empty text as no SMS', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });

  it('names the characters that force UCS-2', () => {
    expect(nonGsm7Characters('Hej ç! 😀 ç')).toEqual(['ç', '😀']);
  });
});
