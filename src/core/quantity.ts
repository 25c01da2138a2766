// Kubernetes quantity notation → exact integers (milli-GPU, milli-CPU, bytes, counts).
// Values are parsed into an exact rational over BigInt, so "0.1Gi" or "1.1" never drift through floats;
// rounding follows Kubernetes (Value()/MilliValue() round up). Grammar, as in k8s.io/apimachinery:
//   <sign>?<digits>[.<digits>] followed by one of Ki Mi Gi Ti Pi Ei | m k M G T P E | e<int> | E<int> | nothing.
import { QuantityError, Rule } from './errors.js';
import { MILLI_PER_GPU } from './types.js';

/** value = num / den exactly; den > 0. */
interface Exact {
  readonly num: bigint;
  readonly den: bigint;
  /** A unit suffix (Ki…Ei, m…E) was written; an exponent is not a unit. */
  readonly hasUnit?: boolean;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(m|k|M|G|T|P|E))?$/;
const PLAIN_DECIMAL = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$/;
const BINARY_POWER: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENT: Readonly<Record<string, number>> = { m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Longer inputs or larger exponents are never legitimate resource amounts; refusing them bounds BigInt work. */
const MAX_TEXT_LENGTH = 64;
const MAX_EXPONENT = 30;
/** Fractions may be written as any JavaScript number prints ("5e-324"); still bounded. */
const MAX_FRACTION_EXPONENT = 400;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export const BYTES_PER_MIB = 1024 * 1024;

function describe(value: string | number): string {
  return JSON.stringify(typeof value === 'number' ? String(value) : value);
}

function textOf(value: string | number, field: string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new QuantityError(field, Rule.notANumber, `${field}: ${describe(value)} is not a finite number`);
    }
    return String(value);
  }
  return value.trim();
}

function scaled(sign: string, digits: string, exponent10: number, binaryPower: number): Exact {
  const [whole = '', fraction = ''] = digits.split('.');
  const mantissa = BigInt(`${whole}${fraction}` || '0') * (sign === '-' ? -1n : 1n);
  const exp = exponent10 - fraction.length;
  const binary = 1024n ** BigInt(binaryPower);
  return exp >= 0
    ? { num: mantissa * binary * 10n ** BigInt(exp), den: 1n }
    : { num: mantissa * binary, den: 10n ** BigInt(-exp) };
}

function checkExponent(exponent: number, value: string | number, field: string, max = MAX_EXPONENT): void {
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > max) {
    throw new QuantityError(
      field,
      Rule.tooLarge,
      `${field}: ${describe(value)} has an exponent out of range`,
    );
  }
}

/** Parses Kubernetes quantity notation exactly. */
function parseExact(value: string | number, field: string): Exact {
  const text = textOf(value, field);
  const match = text.length <= MAX_TEXT_LENGTH ? QUANTITY.exec(text) : null;
  if (!match) {
    throw new QuantityError(
      field,
      Rule.notANumber,
      `${field}: ${describe(value)} is not a Kubernetes quantity (e.g. "2", "500m", "20Gi")`,
    );
  }
  const [, sign = '', digits = '', binary, exponent, decimal] = match;
  const exponent10 =
    exponent !== undefined ? Number(exponent) : decimal ? (DECIMAL_EXPONENT[decimal] ?? 0) : 0;
  checkExponent(exponent10, value, field);
  const exact = scaled(sign, digits, exponent10, binary ? (BINARY_POWER[binary] ?? 0) : 0);
  return { ...exact, hasUnit: binary !== undefined || decimal !== undefined };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

function toSafe(n: bigint, value: string | number, field: string): number {
  if (n > MAX_SAFE) {
    throw new QuantityError(field, Rule.tooLarge, `${field}: ${describe(value)} is too large`);
  }
  return Number(n);
}

function nonNegative(q: Exact, value: string | number, field: string, what: string): Exact {
  if (q.num < 0n) {
    throw new QuantityError(
      field,
      Rule.negative,
      `${field}: ${describe(value)} must not be negative (${what})`,
    );
  }
  return q;
}

/** Any quantity as a number: "2" → 2, "500m" → 0.5, "1Gi" → 1073741824, "1e3" → 1000. */
export function parseQuantity(value: string | number, field: string): number {
  const { num, den } = parseExact(value, field);
  if (num % den !== 0n) return Number(num) / Number(den);
  const sign = num < 0n ? -1 : 1;
  return sign * toSafe(num < 0n ? -num / den : num / den, value, field);
}

/** Memory in integer bytes ("20Gi", "512Mi", "80G", "1048576"); a fraction of a byte rounds up, as in Kubernetes. */
export function parseMemoryBytes(value: string | number, field: string): number {
  const { num, den } = nonNegative(parseExact(value, field), value, field, 'bytes');
  return toSafe(ceilDiv(num, den), value, field);
}

/**
 * Memory where a bare number means MiB (the gpu-memory convention of other GPU orchestrators):
 * "20000" → 20000 MiB, "0.5" → 512 KiB; with a unit it is an ordinary quantity ("20Gi", "80G").
 */
export function parseMemoryBytesDefaultMiB(value: string | number, field: string): number {
  const exact = nonNegative(parseExact(value, field), value, field, 'bytes');
  const num = exact.hasUnit ? exact.num : exact.num * BigInt(BYTES_PER_MIB);
  return toSafe(ceilDiv(num, exact.den), value, field);
}

/** CPU in milli-cores ("2" → 2000, "250m" → 250); sub-milli amounts round up. */
export function parseCpuMilli(value: string | number, field: string): number {
  const { num, den } = nonNegative(parseExact(value, field), value, field, 'CPU');
  return toSafe(ceilDiv(num * 1000n, den), value, field);
}

/** A non-negative whole count, as extended resources such as nvidia.com/gpu must be ("2", "1e1"). */
export function parseCount(value: string | number, field: string): number {
  const { num, den } = nonNegative(parseExact(value, field), value, field, 'a count');
  if (num % den !== 0n) {
    throw new QuantityError(field, Rule.notAnInteger, `${field}: ${describe(value)} must be a whole number`);
  }
  return toSafe(num / den, value, field);
}

/**
 * A fraction of one device as milli-GPU: "0.5" → 500. Plain decimal only (no unit suffix), strictly
 * inside (0, 1); rounds to the nearest milli (half up) and clamps into 1..999 so a valid fraction
 * never becomes an empty or a whole device.
 */
export function parseFractionMilli(value: string, field: string): number {
  const text = value.trim();
  const match = text.length <= MAX_TEXT_LENGTH ? PLAIN_DECIMAL.exec(text) : null;
  const rule = `${field}: ${JSON.stringify(value)} must be a number in (0, 1)`;
  if (!match) throw new QuantityError(field, Rule.notANumber, rule);
  const [, sign = '', digits = '', exponent] = match;
  const exponent10 = exponent !== undefined ? Number(exponent) : 0;
  checkExponent(exponent10, value, field, MAX_FRACTION_EXPONENT);
  const { num, den } = scaled(sign, digits, exponent10, 0);
  if (num <= 0n || num >= den) throw new QuantityError(field, Rule.outOfRange, rule);
  const milli = Number((2n * num * BigInt(MILLI_PER_GPU) + den) / (2n * den));
  return Math.min(MILLI_PER_GPU - 1, Math.max(1, milli));
}

/** MiB (as GPU Feature Discovery reports device memory) → bytes. */
export function mibToBytes(mib: number): number {
  const bytes = mib * BYTES_PER_MIB;
  if (!Number.isFinite(mib) || mib < 0 || !Number.isSafeInteger(Math.ceil(bytes))) {
    throw new QuantityError('MiB', Rule.outOfRange, `MiB: ${describe(mib)} is not a valid amount of memory`);
  }
  return Math.ceil(bytes);
}

/** Milli-GPU in quantity notation: 2000 → "2", 500 → "500m". */
export function formatMilli(milli: number): string {
  return milli % MILLI_PER_GPU === 0 ? String(milli / MILLI_PER_GPU) : `${milli}m`;
}

/** Milli-GPU for people: 500 → "0.5 GPU", 1000 → "1 GPU", 2250 → "2.25 GPUs". */
export function formatGpus(milli: number): string {
  const whole = Math.trunc(milli / MILLI_PER_GPU);
  const rest = Math.abs(milli % MILLI_PER_GPU);
  const text = rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(3, '0').replace(/0+$/, '')}`;
  return `${text} ${milli > MILLI_PER_GPU ? 'GPUs' : 'GPU'}`;
}

const BINARY_SUFFIXES: readonly [string, number][] = [
  ['Pi', 1024 ** 5],
  ['Ti', 1024 ** 4],
  ['Gi', 1024 ** 3],
  ['Mi', 1024 ** 2],
  ['Ki', 1024],
];

/** Bytes in the largest binary unit that divides them exactly: 21474836480 → "20Gi"; else plain bytes. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [suffix, size] of BINARY_SUFFIXES) {
    if (bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}
