import type { Rng } from '../rng';

/**
 * Values for the JSON Schema `format`s tool files use. Host names and addresses come from the ranges set
 * aside for documentation (example.com, RFC 5737's 192.0.2.0/24, RFC 3849's 2001:db8::/32), so a generated
 * conversation never names a real machine. Dates fall in one year, so nearby turns read as one schedule.
 */
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'eve', 'frank', 'grace', 'heidi'];
const PAGES = ['docs', 'reports', 'orders', 'profile', 'search', 'status'];

const two = (n: number): string => String(n).padStart(2, '0');

export function dateValue(rng: Rng): string {
  return `2026-${two(1 + rng.int(12))}-${two(1 + rng.int(28))}`;
}

/** A working-hours clock time, on the quarter hour (HH:MM). */
export function clockValue(rng: Rng): string {
  return `${two(8 + rng.int(10))}:${rng.pick(['00', '15', '30', '45'])}`;
}

/**
 * An RFC 4122 version-4 UUID from 16 seeded bytes: the version nibble set to 4 and the variant bits to 10,
 * so it has the shape every uuid check expects while staying a function of the seed.
 */
export function uuidValue(rng: Rng): string {
  const bytes = Array.from({ length: 16 }, () => rng.int(256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function emailValue(rng: Rng): string {
  return `${rng.pick(PEOPLE)}@example.com`;
}

export function urlValue(rng: Rng): string {
  return `https://example.com/${rng.pick(PAGES)}`;
}

/** Short texts in base64 (OpenAPI's `byte` format). */
const BASE64 = ['aGVsbG8gd29ybGQ=', 'bWFnbmV0', 'cmVwb3J0LnBkZg==', 'c2FtcGxlIGRhdGE='];

/**
 * A value of `format`, or undefined for a format without a rule. Every string format ajv-formats checks
 * has one here, written to pass its check (RFC 3339 `time` and `date-time` carry an offset, `Z`).
 */
export function formatValue(format: string, rng: Rng): string | undefined {
  switch (format.toLowerCase()) {
    case 'date':
      return dateValue(rng);
    case 'date-time':
    case 'iso-date-time':
      return `${dateValue(rng)}T${clockValue(rng)}:00Z`;
    case 'time':
    case 'iso-time':
      return `${clockValue(rng)}:00Z`;
    case 'duration':
      return rng.pick(['PT15M', 'PT30M', 'PT1H', 'PT2H30M', 'P1D', 'P1W']);
    case 'uuid':
      return uuidValue(rng);
    case 'email':
    case 'idn-email':
      return emailValue(rng);
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
    case 'iri-reference':
      return urlValue(rng);
    case 'hostname':
    case 'idn-hostname':
      return `${rng.pick(['api', 'www', 'mail', 'files'])}.example.com`;
    case 'ipv4':
      return `192.0.2.${1 + rng.int(254)}`;
    case 'ipv6':
      return `2001:db8::${(1 + rng.int(0xfffe)).toString(16)}`;
    case 'uri-template':
      return `https://example.com/${rng.pick(PAGES)}/{id}`;
    case 'regex':
      return rng.pick(['^[a-z]+$', '^\\d{4}-\\d{2}$', '^(open|closed)$']);
    case 'json-pointer':
      return `/${rng.pick(PAGES)}/${rng.int(10)}`;
    case 'json-pointer-uri-fragment':
      return `#/${rng.pick(PAGES)}/${rng.int(10)}`;
    case 'relative-json-pointer':
      return `${rng.int(3)}/${rng.pick(PAGES)}`;
    case 'byte':
      return rng.pick(BASE64);
    default:
      return undefined;
  }
}
