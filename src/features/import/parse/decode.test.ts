import { describe, expect, it } from 'vitest';
import { bytesDecoderFor, decodeText, guessSingleByteCodepage } from './decode.js';
import { encodeSingleByte, encodeUtf16, fixture } from './test-helpers.js';

describe('decodeText', () => {
  it('recognises a UTF-8 BOM and strips it', () => {
    const r = decodeText(fixture('outlook-en-utf8.csv'));
    expect(r.encoding).toBe('utf-8-bom');
    expect(r.text.startsWith('"Title","First Name"')).toBe(true);
  });

  it('decodes UTF-16 LE and BE with BOM', () => {
    const text = 'Имя,Фамилия\r\nИван,Сидоров\r\n';
    expect(decodeText(encodeUtf16(text, 'le'))).toEqual({ text, encoding: 'utf-16le' });
    expect(decodeText(encodeUtf16(text, 'be'))).toEqual({ text, encoding: 'utf-16be' });
  });

  it('guesses BOM-less UTF-16 from the zero bytes of ASCII punctuation', () => {
    const text = '"First Name","Last Name"\r\n"Иван","Сидоров"\r\n';
    expect(decodeText(encodeUtf16(text, 'le', false))).toEqual({ text, encoding: 'utf-16le' });
    expect(decodeText(encodeUtf16(text, 'be', false))).toEqual({ text, encoding: 'utf-16be' });
  });

  it('accepts strict UTF-8 without BOM', () => {
    const text = 'Ёлкина;Пётр;Müller';
    expect(decodeText(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
  });

  it('falls back to Windows-1251 for the Russian Outlook sample', () => {
    const r = decodeText(fixture('outlook-ru-windows1251.csv'));
    expect(r.encoding).toBe('windows-1251');
    expect(r.text).toContain('"Иван","Петрович","Сидоров"');
    expect(r.text).toContain('ООО «Ромашка»');
  });

  it('picks Windows-1252 for Western European text', () => {
    const text = 'First Name,Last Name,Company\r\nHélène,Müller,Café Crème SA\r\nJosé,Groß,Señor Ltd\r\n';
    const r = decodeText(encodeSingleByte(text, 'windows-1252'));
    expect(r).toEqual({ text, encoding: 'windows-1252' });
  });

  it('picks Windows-1251 even when Russian words are a minority of the file', () => {
    const text = 'First Name,Last Name,E-mail Address,Notes\r\nJohn,Smith,john@example.com,Москва office\r\n';
    expect(decodeText(encodeSingleByte(text, 'windows-1251')).encoding).toBe('windows-1251');
  });

  it('picks Windows-1252 when the high bytes are mostly punctuation (smart quotes, dashes)', () => {
    expect(guessSingleByteCodepage(encodeSingleByte('“Acme” – the best… ©', 'windows-1252'))).toBe('windows-1252');
  });

  it('decodes Windows-1252 bytes 0x80–0x9F as the code page does, not as Latin-1 C1 controls', () => {
    // Node 20.18.3–22 TextDecoder('windows-1252') returned U+0080.. for these (nodejs/node#60888);
    // Node 24 decodes them right, so the app relies on it: this test fails on an older Node.
    expect(bytesDecoderFor('windows-1252')!(Uint8Array.of(0x80, 0x93, 0x94, 0x96, 0x99, 0x9f, 0x81, 0xe9))).toBe('€“”–™Ÿ\u0081é');
    const text = 'First Name,Last Name,Notes\r\nJosé,O’Brien,“VIP” – 100 €\r\n';
    expect(decodeText(Buffer.from([...encodeSingleByte(text, 'windows-1252')]))).toEqual({ text, encoding: 'windows-1252' });
  });
});
