import { ToolError } from '../types';
import { Args, argNumber, argNumberList, argString, defineToolSet, Hints } from './util';

type Dimension = 'length' | 'mass' | 'volume' | 'temperature';

/** Linear units: size of one unit in the dimension's base unit (m, g, l). */
const LINEAR: Record<string, [Dimension, number]> = {
  mm: ['length', 0.001],
  cm: ['length', 0.01],
  m: ['length', 1],
  km: ['length', 1000],
  in: ['length', 0.0254],
  ft: ['length', 0.3048],
  yd: ['length', 0.9144],
  mi: ['length', 1609.344],
  mg: ['mass', 0.001],
  g: ['mass', 1],
  kg: ['mass', 1000],
  oz: ['mass', 28.349523125],
  lb: ['mass', 453.59237],
  tonne: ['mass', 1e6],
  ml: ['volume', 0.001],
  l: ['volume', 1],
  cup: ['volume', 0.2365882365],
  fl_oz: ['volume', 0.0295735295625],
  qt: ['volume', 0.946352946],
  gal: ['volume', 3.785411784],
};
const TEMPERATURE = ['celsius', 'fahrenheit', 'kelvin'];

/** Spellings models commonly use instead of the enum values. */
const ALIASES: Record<string, string> = {
  millimeter: 'mm',
  centimeter: 'cm',
  meter: 'm',
  metre: 'm',
  kilometer: 'km',
  kilometre: 'km',
  inch: 'in',
  inche: 'in',
  foot: 'ft',
  feet: 'ft',
  yard: 'yd',
  mile: 'mi',
  milligram: 'mg',
  gram: 'g',
  kilogram: 'kg',
  ounce: 'oz',
  pound: 'lb',
  lbs: 'lb',
  ton: 'tonne',
  t: 'tonne',
  milliliter: 'ml',
  millilitre: 'ml',
  liter: 'l',
  litre: 'l',
  gallon: 'gal',
  quart: 'qt',
  'fluid ounce': 'fl_oz',
  'fl oz': 'fl_oz',
  c: 'celsius',
  '°c': 'celsius',
  f: 'fahrenheit',
  '°f': 'fahrenheit',
  k: 'kelvin',
};

function unitArg(args: Args, name: string): string {
  const raw = argString(args, name).toLowerCase().replace(/\s+/g, ' ');
  const singular = raw.length > 3 && raw.endsWith('s') ? raw.slice(0, -1) : raw;
  for (const candidate of [raw, singular]) {
    const unit = candidate in LINEAR || TEMPERATURE.includes(candidate) ? candidate : ALIASES[candidate];
    if (unit) return unit;
  }
  throw new ToolError(`unknown unit "${raw}" for "${name}"`);
}

function dimension(unit: string): Dimension {
  return LINEAR[unit]?.[0] ?? 'temperature';
}

function toKelvin(value: number, unit: string): number {
  if (unit === 'celsius') return value + 273.15;
  if (unit === 'fahrenheit') return ((value - 32) * 5) / 9 + 273.15;
  return value;
}

function fromKelvin(k: number, unit: string): number {
  if (unit === 'celsius') return k - 273.15;
  if (unit === 'fahrenheit') return ((k - 273.15) * 9) / 5 + 32;
  return k;
}

/** Twelve significant digits hide float noise (0.1 + 0.2) without losing real precision. */
function clean(value: number): number {
  if (!Number.isFinite(value)) throw new ToolError('the result is not a finite number');
  return Number(value.toPrecision(12));
}

function convert(value: number, from: string, to: string): number {
  if (dimension(from) !== dimension(to)) {
    throw new ToolError(`cannot convert ${dimension(from)} (${from}) to ${dimension(to)} (${to})`);
  }
  const fromLinear = LINEAR[from];
  const toLinear = LINEAR[to];
  if (fromLinear && toLinear) return (value * fromLinear[1]) / toLinear[1];
  const k = toKelvin(value, from);
  if (k < 0) throw new ToolError(`${value} ${from} is below absolute zero`);
  return fromKelvin(k, to);
}

/**
 * convert_unit needs both units of one dimension, which per-name hints cannot pair, so both list length
 * units only (any from/to pair converts). `value` is shared by all calculators, so it is positive (square
 * root) and non-zero (negative powers); divisors and wholes are non-zero; exponents keep results finite.
 */
function valueHints(): Hints {
  const lengths = Object.keys(LINEAR).filter((u) => LINEAR[u]?.[0] === 'length');
  return {
    from_unit: lengths,
    to_unit: lengths,
    value: [12, 2.5, 5, 100, 250, 1024],
    addend: [3, 7.5, 15, -4],
    factor: [2, 1.5, 12, 0.25],
    divisor: [4, 2, 8, 0.5],
    exponent: [2, 3, 0.5, -1],
    numbers: [
      [3, 4.5, 10],
      [12, 15, 18, 21],
      [2, 4, 9],
    ],
    part: [45, 12, 3.5],
    whole: [180, 60, 200],
    decimals: [2, 0, 1, 3],
  };
}

export const mathUnitsTools = defineToolSet<{ [k: string]: never }>({
  name: 'math_units',
  // Pure calculators: there is nothing to remember between calls.
  initialState: () => ({}),
  valueHints,
  handlers: {
    convert_unit(_s, args) {
      const value = argNumber(args, 'value');
      const from = unitArg(args, 'from_unit');
      const to = unitArg(args, 'to_unit');
      return { value: clean(convert(value, from, to)), unit: to };
    },
    add: (_s, args) => ({ value: clean(argNumber(args, 'value') + argNumber(args, 'addend')) }),
    multiply: (_s, args) => ({ value: clean(argNumber(args, 'value') * argNumber(args, 'factor')) }),
    divide(_s, args) {
      const value = argNumber(args, 'value');
      const divisor = argNumber(args, 'divisor');
      if (divisor === 0) throw new ToolError('division by zero');
      return { value: clean(value / divisor) };
    },
    power(_s, args) {
      const value = argNumber(args, 'value');
      const exponent = argNumber(args, 'exponent', { min: -100, max: 100 });
      if (value === 0 && exponent < 0) throw new ToolError('zero cannot be raised to a negative power');
      return { value: clean(value ** exponent) };
    },
    square_root(_s, args) {
      const value = argNumber(args, 'value');
      if (value < 0) throw new ToolError('cannot take the square root of a negative number');
      return { value: clean(Math.sqrt(value)) };
    },
    mean(_s, args) {
      const numbers = argNumberList(args, 'numbers');
      return { value: clean(numbers.reduce((a, b) => a + b, 0) / numbers.length), count: numbers.length };
    },
    percentage(_s, args) {
      const part = argNumber(args, 'part');
      const whole = argNumber(args, 'whole');
      if (whole === 0) throw new ToolError('the whole must not be zero');
      return { value: clean((part / whole) * 100) };
    },
    round_number(_s, args) {
      const value = argNumber(args, 'value');
      const decimals = argNumber(args, 'decimals', { fallback: 0, min: 0, max: 10, integer: true });
      if (Math.abs(value) >= 1e15) return { value };
      // Half away from zero; the epsilon nudge makes 1.005 round to 1.01 despite its binary representation.
      const f = 10 ** decimals;
      const rounded = (Math.sign(value) * Math.round(Math.abs(value) * f * (1 + Number.EPSILON))) / f;
      return { value: rounded === 0 ? 0 : rounded };
    },
  },
});
