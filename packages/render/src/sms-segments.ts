/**
 * How many SMS parts a text costs. A text that fits the GSM 03.38 alphabet goes as GSM-7:
 * 160 septets in one SMS, 153 per part when concatenated (the rest is the UDH), with the
 * extension-table characters (€ [ ] { } ~ ^ \ | and form feed) taking two septets each.
 * Any other character switches the whole text to UCS-2: 70 UTF-16 units in one SMS,
 * 67 per part, and an emoji outside the BMP takes two units.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Parts the text is sent as; 0 for an empty text. */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
}

const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const GSM7_SINGLE = 160;
const GSM7_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

export function smsSegments(text: string): SmsSegmentInfo {
  const gsm = gsm7Widths(text);
  if (gsm) return { encoding: 'GSM-7', ...pack(gsm, GSM7_SINGLE, GSM7_PART) };
  // A surrogate pair (two units) must stay in one part, so pack by code point.
  const widths = Array.from(text, (char) => char.length);
  return { encoding: 'UCS-2', ...pack(widths, UCS2_SINGLE, UCS2_PART) };
}

/** The first characters that force UCS-2, for a warning an operator can act on. */
export function nonGsm7Characters(text: string, limit = 5): string[] {
  const found = new Set<string>();
  for (const char of text) {
    if (!GSM7_BASIC.has(char) && !GSM7_EXTENSION.has(char)) found.add(char);
    if (found.size >= limit) break;
  }
  return [...found];
}

/** Septets per character, or undefined when a character is outside GSM 03.38. */
function gsm7Widths(text: string): number[] | undefined {
  const widths: number[] = [];
  for (const char of text) {
    if (GSM7_BASIC.has(char)) widths.push(1);
    else if (GSM7_EXTENSION.has(char)) widths.push(2); // escape + character; never split across parts
    else return undefined;
  }
  return widths;
}

function pack(widths: number[], single: number, part: number): { segments: number; units: number } {
  const units = widths.reduce((sum, width) => sum + width, 0);
  if (units === 0) return { segments: 0, units };
  if (units <= single) return { segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > part) {
      segments++;
      used = 0;
    }
    used += width;
  }
  return { segments, units };
}
